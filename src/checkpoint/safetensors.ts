/**
 * Reads and writes the safetensors format (https://huggingface.co/docs/safetensors),
 * which PyTorch users open with `safetensors.torch.load_file(path)`:
 *
 *   8 bytes     N, the header length (unsigned 64-bit little-endian)
 *   N bytes     JSON: { name: { dtype, shape, data_offsets: [begin, end] }, …,
 *               "__metadata__": { key: string } }   (padded with spaces)
 *   the rest    the tensors' bytes, little-endian, at their offsets
 *
 * This file only encodes and decodes bytes; it does no I/O. Saving to a file
 * (safetensors-file.ts, checkpoint-file.ts) goes through atomic-write.ts: a
 * temporary beside the target, every byte written and its size checked, then
 * a rename, so an interrupted save or a full disk never leaves a half-written
 * checkpoint in place of the old one.
 */
import { Tensor } from '../tensor/tensor.js';

const DTYPES = { F32: 4, F64: 8, I64: 8 } as const;
type StoredDtype = keyof typeof DTYPES;

interface HeaderEntry {
  dtype: StoredDtype;
  shape: number[];
  data_offsets: [number, number];
}

/**
 * Whether a tensor is a counter that PyTorch keeps as int64 (BatchNorm's
 * `num_batches_tracked`): stored as I64, as PyTorch saves it, though this
 * project's tensors hold it as a float.
 */
export function storedAsInt64(name: string): boolean {
  return name === 'num_batches_tracked' || name.endsWith('.num_batches_tracked');
}

/** A tensor's bytes as stored: its own data, or (for a counter) its values as little-endian int64. */
function storedBytes(name: string, tensor: Tensor): Uint8Array {
  if (!storedAsInt64(name)) return new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  const counts = new BigInt64Array(tensor.size);
  tensor.data.forEach((value, i) => {
    if (!Number.isSafeInteger(value)) throw new Error(`safetensors: the counter "${name}" holds ${value}, not a whole number`);
    counts[i] = BigInt(value);
  });
  return new Uint8Array(counts.buffer);
}

/** Encodes tensors and string metadata as safetensors bytes (counters as I64: `storedAsInt64`). */
export function encodeSafetensors(tensors: ReadonlyMap<string, Tensor>, metadata: Record<string, string>): Uint8Array {
  const header: Record<string, HeaderEntry | Record<string, string>> = { __metadata__: metadata };
  const stored = new Map<string, Uint8Array>();
  let offset = 0;
  for (const [name, tensor] of tensors) {
    const bytes = storedBytes(name, tensor);
    stored.set(name, bytes);
    const dtype: StoredDtype = storedAsInt64(name) ? 'I64' : tensor.dtype === 'float64' ? 'F64' : 'F32';
    header[name] = { dtype, shape: [...tensor.shape], data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8); // align the data to 8 bytes
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.length;
  for (const bytes of stored.values()) {
    out.set(bytes, position);
    position += bytes.byteLength;
  }
  return out;
}

/** The largest header the reader accepts (the safetensors format's own cap: 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * Decodes safetensors bytes; every problem names `file` and what is wrong.
 * It enforces the format's rules: a header of at most 100 MB that is a JSON
 * object of objects, whole-number shapes and offsets, and tensors that tile
 * the data exactly (in order, no gap, no overlap, nothing left over); and
 * this project's: F32, F64 or (for counters, read as float32 values) I64
 * only, every value finite (and every I64 within ±2⁵³).
 */
export function decodeSafetensors(bytes: Uint8Array, file: string): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const fail = (problem: string): never => {
    throw new Error(`${file}: not a valid checkpoint: ${problem}`);
  };
  if (bytes.length < 8) fail(`only ${bytes.length} bytes`);
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES) fail(`header length ${headerLength} is over the format's ${MAX_HEADER_BYTES}-byte cap`);
  if (8 + headerLength > bytes.length) fail(`header length ${headerLength} runs past the end of the ${bytes.length}-byte file (truncated?)`);
  let header: unknown;
  const headerText = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(8, 8 + headerLength));
  if (jsonDepth(headerText) > MAX_JSON_DEPTH) fail(`header nests deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    return fail(`header is not JSON (${(error as Error).message})`);
  }
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(header)) return fail('header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const entries: Array<[string, HeaderEntry]> = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isObject(value) || !Object.values(value).every((item) => typeof item === 'string')) fail('__metadata__ is not an object of strings');
      continue;
    }
    if (!isObject(value)) fail(`tensor "${name}" is ${JSON.stringify(value)}, not an object`);
    const entry = value as Partial<HeaderEntry>;
    const size = entry.dtype !== undefined ? DTYPES[entry.dtype] : undefined;
    if (size === undefined) fail(`tensor "${name}" has dtype ${String(entry.dtype)}; only F32, F64 and I64 are supported`);
    const { shape, data_offsets: offsets } = entry;
    if (!Array.isArray(shape) || !Array.isArray(offsets) || offsets.length !== 2) fail(`tensor "${name}" lacks a shape or data_offsets`);
    const whole = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;
    if (!(shape as unknown[]).every(whole)) fail(`tensor "${name}" has shape ${JSON.stringify(shape)}; dimensions are whole numbers`);
    if (!(offsets as unknown[]).every(whole)) fail(`tensor "${name}" has data_offsets ${JSON.stringify(offsets)}; offsets are whole numbers`);
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((product, dim) => product * dim, 1);
    if (end - begin !== count * (size as number)) fail(`tensor "${name}" of shape [${(shape as number[]).join(', ')}] needs ${count * (size as number)} bytes but its offsets span ${end - begin}`);
    if (end > dataLength) fail(`tensor "${name}" lies outside the data (bytes ${begin}–${end} of ${dataLength}; truncated?)`);
    entries.push([name, entry as HeaderEntry]);
  }
  // the tensors, in offset order, must cover the data exactly
  const ordered = [...entries].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  let covered = 0;
  for (const [name, entry] of ordered) {
    const [begin] = entry.data_offsets;
    if (begin < covered) fail(`tensor "${name}" (bytes ${begin}–${entry.data_offsets[1]}) overlaps the tensor before it`);
    if (begin > covered) fail(`bytes ${covered}–${begin} of the data belong to no tensor`);
    covered = entry.data_offsets[1];
  }
  if (covered !== dataLength) fail(`bytes ${covered}–${dataLength} of the data belong to no tensor`);
  const tensors = new Map<string, Tensor>();
  for (const [name, entry] of entries) {
    const [begin, end] = entry.data_offsets;
    // An owned, aligned copy (Node's Buffer#slice would return a view of the whole file).
    const copy = new Uint8Array(end - begin);
    copy.set(bytes.subarray(dataStart + begin, dataStart + end));
    const data = entry.dtype === 'F64' ? new Float64Array(copy.buffer) : entry.dtype === 'I64' ? countsAsFloats(new BigInt64Array(copy.buffer), name, fail) : new Float32Array(copy.buffer);
    const bad = data.findIndex((value) => !Number.isFinite(value));
    if (bad >= 0) fail(`tensor "${name}" holds ${data[bad]} at index ${bad}; weights must be finite numbers`);
    tensors.set(name, new Tensor(data, entry.shape));
  }
  return { tensors, metadata: (header.__metadata__ as Record<string, string> | undefined) ?? {} };
}

/** The deepest nesting a checkpoint's JSON (header, metadata) may have; the format's own needs 3, robustnorm's metadata about 6. */
export const MAX_JSON_DEPTH = 32;

/** How deeply `text`'s arrays and objects nest (brackets inside strings do not count); a scan, so deep text cannot overflow the stack. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) deepest = Math.max(deepest, ++depth);
    else if (c === 93 || c === 125) depth--;
  }
  return deepest;
}

/** I64 counts as the float32 values this project's tensors hold; refuses counts beyond ±2⁵³. */
function countsAsFloats(counts: BigInt64Array, name: string, fail: (problem: string) => never): Float32Array {
  const limit = BigInt(Number.MAX_SAFE_INTEGER);
  return Float32Array.from(counts, (count) => (count > limit || count < -limit ? fail(`tensor "${name}" holds the count ${count}, beyond ±2^53`) : Number(count)));
}
