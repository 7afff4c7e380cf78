/**
 * Safetensors files on disk (Node): the format itself, which needs no file
 * system, is in safetensors.ts.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-write.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';
import type { Tensor } from '../tensor/tensor.js';

/** Writes tensors and string metadata to a safetensors file, atomically (temporary file, fsync, rename). */
export function saveSafetensors(file: string, tensors: ReadonlyMap<string, Tensor>, metadata: Record<string, string>): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}

/** Reads a safetensors file into tensors and metadata. */
export function loadSafetensors(file: string): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new Error(`${file}: cannot read checkpoint: ${(error as Error).message}`);
  }
  return decodeSafetensors(bytes, file);
}
