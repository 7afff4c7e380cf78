/**
 * Reads and writes the safetensors format (https://huggingface.co/docs/safetensors),
 * which PyTorch users open with `safetensors.torch.load_file(path)`:
 *
 *   8 bytes     N, the header length (unsigned 64-bit little-endian)
 *   N bytes     JSON: { name: { dtype, shape, data_offsets: [begin, end] }, …,
 *               "__metadata__": { key: string } }   (padded with spaces)
 *   the rest    the tensors' bytes, little-endian, at their offsets
 *
 * Writes are atomic: the file is written beside the target and renamed over
 * it, so an interrupted save never leaves a half-written checkpoint in place
 * of the old one.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-write.js';
import { Tensor } from '../tensor/tensor.js';

const DTYPES = { F32: 4, F64: 8 } as const;
type StoredDtype = keyof typeof DTYPES;

interface HeaderEntry {
  dtype: StoredDtype;
  shape: number[];
  data_offsets: [number, number];
}

/** Encodes tensors and string metadata as safetensors bytes. */
export function encodeSafetensors(tensors: ReadonlyMap<string, Tensor>, metadata: Record<string, string>): Uint8Array {
  const header: Record<string, HeaderEntry | Record<string, string>> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, tensor] of tensors) {
    const bytes = tensor.data.byteLength;
    header[name] = { dtype: tensor.dtype === 'float64' ? 'F64' : 'F32', shape: [...tensor.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // align the data to 8 bytes
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.length;
  for (const tensor of tensors.values()) {
    out.set(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength), position);
    position += tensor.data.byteLength;
  }
  return out;
}

/** Decodes safetensors bytes; every problem names `file` and what is wrong. */
export function decodeSafetensors(bytes: Uint8Array, file: string): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const fail = (problem: string): never => {
    throw new Error(`${file}: not a valid checkpoint: ${problem}`);
  };
  if (bytes.length < 8) fail(`only ${bytes.length} bytes`);
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (8 + headerLength > bytes.length) fail(`header length ${headerLength} runs past the end of the ${bytes.length}-byte file (truncated?)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLength)).toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    return fail(`header is not JSON (${(error as Error).message})`);
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const tensors = new Map<string, Tensor>();
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = value as Partial<HeaderEntry>;
    const size = entry.dtype !== undefined ? DTYPES[entry.dtype] : undefined;
    if (size === undefined) fail(`tensor "${name}" has dtype ${String(entry.dtype)}; only F32 and F64 are supported`);
    const shape = entry.shape;
    const offsets = entry.data_offsets;
    if (!Array.isArray(shape) || !Array.isArray(offsets) || offsets.length !== 2) fail(`tensor "${name}" lacks a shape or data_offsets`);
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((product, dim) => product * dim, 1);
    if (end - begin !== count * (size as number)) fail(`tensor "${name}" of shape [${(shape as number[]).join(', ')}] needs ${count * (size as number)} bytes but its offsets span ${end - begin}`);
    if (begin < 0 || end > dataLength) fail(`tensor "${name}" lies outside the data (bytes ${begin}–${end} of ${dataLength}; truncated?)`);
    // An owned, aligned copy (Node's Buffer#slice would return a view of the whole file).
    const copy = new Uint8Array(end - begin);
    copy.set(bytes.subarray(dataStart + begin, dataStart + end));
    const data = entry.dtype === 'F64' ? new Float64Array(copy.buffer) : new Float32Array(copy.buffer);
    tensors.set(name, new Tensor(data, shape as number[]));
  }
  return { tensors, metadata: (header.__metadata__ as Record<string, string> | undefined) ?? {} };
}

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
