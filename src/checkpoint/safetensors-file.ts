/**
 * Safetensors files on disk (Node): the format itself, which needs no file
 * system, is in safetensors.ts.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { writeFileAtomic } from './atomic-write.js';
import { decodeSafetensors, encodeSafetensors, MAX_HEADER_BYTES } from './safetensors.js';
import type { Tensor } from '../tensor/tensor.js';

/** Writes tensors and string metadata to a safetensors file, atomically (temporary file, fsync, rename). */
export function saveSafetensors(file: string, tensors: ReadonlyMap<string, Tensor>, metadata: Record<string, string>): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}

/**
 * A checkpoint file's bytes, read with bounds: only a regular file (not
 * /dev/zero, a pipe or a folder), its header length checked against the
 * format's cap and the file's size before the rest is read.
 */
export function readCheckpointBytes(file: string): Uint8Array {
  let descriptor: number;
  try {
    descriptor = openSync(file, 'r');
  } catch (error) {
    throw new Error(`${file}: cannot read checkpoint: ${(error as Error).message}`);
  }
  try {
    const stat = fstatSync(descriptor);
    if (!stat.isFile()) throw new Error(`${file}: not a valid checkpoint: not a regular file (a ${stat.isDirectory() ? 'folder' : stat.isCharacterDevice() ? 'character device' : stat.isFIFO() ? 'pipe' : 'special file'})`);
    const size = stat.size;
    const bytes = new Uint8Array(size);
    const read = (offset: number, length: number) => {
      let done = 0;
      while (done < length) {
        const n = readSync(descriptor, bytes, offset + done, length - done, offset + done);
        if (n === 0) throw new Error(`${file}: cannot read checkpoint: the file ended at byte ${offset + done} of ${size} while it was read`);
        done += n;
      }
    };
    if (size < 8) throw new Error(`${file}: not a valid checkpoint: only ${size} bytes`);
    read(0, 8);
    const headerLength = Number(new DataView(bytes.buffer, 0, 8).getBigUint64(0, true));
    if (headerLength > MAX_HEADER_BYTES) throw new Error(`${file}: not a valid checkpoint: header length ${headerLength} is over the format's ${MAX_HEADER_BYTES}-byte cap`);
    if (8 + headerLength > size) throw new Error(`${file}: not a valid checkpoint: header length ${headerLength} runs past the end of the ${size}-byte file (truncated?)`);
    read(8, size - 8);
    return bytes;
  } finally {
    closeSync(descriptor);
  }
}

/** Reads a safetensors file into tensors and metadata. */
export function loadSafetensors(file: string): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  return decodeSafetensors(readCheckpointBytes(file), file);
}
