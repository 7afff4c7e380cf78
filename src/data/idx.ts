/**
 * The IDX format of MNIST and Fashion-MNIST (raw or gzipped):
 *   bytes 0–1  zero
 *   byte 2     element type (0x08 = unsigned byte, the only one these datasets use)
 *   byte 3     number of dimensions d
 *   then d big-endian uint32 sizes, then the values, row-major.
 * Every check names the file and what is wrong.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** An IDX file's contents: its dimensions and its bytes, row-major. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Parses IDX bytes (gunzipped already); `file` names the source in error messages. */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const fail = (problem: string): never => {
    throw new Error(`${file}: not a valid IDX file: ${problem}`);
  };
  if (bytes.length < 4) fail(`only ${bytes.length} bytes, shorter than the 4-byte magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) fail(`magic number starts with 0x${(bytes[0] ?? 0).toString(16)}${(bytes[1] ?? 0).toString(16).padStart(2, '0')}, expected 0x0000`);
  if (bytes[2] !== 0x08) fail(`element type 0x${(bytes[2] ?? 0).toString(16)} is not supported (expected 0x08, unsigned bytes)`);
  const rank = bytes[3] as number;
  if (rank < 1 || rank > 4) fail(`${rank} dimensions (expected 1 to 4)`);
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) fail(`truncated header: ${bytes.length} bytes, ${headerLength} needed for ${rank} dimensions`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((product, dim) => product * dim, 1);
  const actual = bytes.length - headerLength;
  if (actual < expected) fail(`truncated: dimensions [${dims.join(', ')}] need ${expected} values but only ${actual} bytes follow the header`);
  if (actual > expected) fail(`${actual - expected} unexpected bytes after the ${expected} values of dimensions [${dims.join(', ')}]`);
  return { dims, data: bytes.subarray(headerLength) };
}

/** Reads an IDX file, gunzipping it when it starts with the gzip signature. */
export function readIdx(file: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new Error(`${file}: cannot read: ${(error as Error).message}`);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new Error(`${file}: corrupt gzip data: ${(error as Error).message}`);
    }
  }
  return parseIdx(bytes, file);
}
