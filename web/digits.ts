/**
 * The embedded digits as one small binary file for the page (digits.bin),
 * exact: the `mnist` package stores at most 256 distinct pixel values, so each
 * pixel is one byte indexing a table of those values as float32.
 *
 *   "RNDIGITS" · uint32 values · uint32 train count · uint32 test count
 *   · float32 table[values] · uint8 train pixels · uint8 train labels
 *   · uint8 test pixels · uint8 test labels                (little-endian)
 */
import type { Dataset } from '../src/index.js';

const MAGIC = 'RNDIGITS';
const PIXELS = 28 * 28;

/** Train and test digits as digits.bin bytes. */
export function encodeDigits(train: Dataset, test: Dataset): Uint8Array {
  const table: number[] = [];
  const index = new Map<number, number>();
  for (const data of [train, test]) {
    for (const value of data.images) {
      if (!index.has(value)) {
        index.set(value, table.length);
        table.push(value);
      }
    }
  }
  if (table.length > 256) throw new Error(`digits.bin: ${table.length} distinct pixel values, more than one byte can index`);
  const header = 8 + 12 + 4 * table.length;
  const bytes = new Uint8Array(header + (train.count + test.count) * (PIXELS + 1));
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < MAGIC.length; i++) bytes[i] = MAGIC.charCodeAt(i);
  view.setUint32(8, table.length, true);
  view.setUint32(12, train.count, true);
  view.setUint32(16, test.count, true);
  table.forEach((value, i) => view.setFloat32(20 + 4 * i, value, true));
  let at = header;
  for (const data of [train, test]) {
    for (const value of data.images) bytes[at++] = index.get(value) as number;
    bytes.set(data.labels, at);
    at += data.count;
  }
  return bytes;
}

/** Decodes digits.bin (see the file header); `file` names it in errors. */
export function decodeDigits(buffer: ArrayBuffer, file = 'digits.bin'): { train: Dataset; test: Dataset } {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  if (bytes.length < 20 || String.fromCharCode(...bytes.subarray(0, 8)) !== MAGIC) throw new Error(`${file}: not a digits file (no ${MAGIC} header)`);
  const values = view.getUint32(8, true);
  const counts = [view.getUint32(12, true), view.getUint32(16, true)] as const;
  const header = 20 + 4 * values;
  const expected = header + (counts[0] + counts[1]) * (PIXELS + 1);
  if (bytes.length !== expected) throw new Error(`${file}: ${bytes.length} bytes, expected ${expected} for ${counts[0]} + ${counts[1]} digits`);
  const table = new Float32Array(values);
  for (let i = 0; i < values; i++) table[i] = view.getFloat32(20 + 4 * i, true);
  let at = header;
  const split = (name: string, count: number): Dataset => {
    const images = new Float32Array(count * PIXELS);
    for (let i = 0; i < images.length; i++) images[i] = table[bytes[at + i] as number] as number;
    at += images.length;
    const labels = bytes.slice(at, at + count);
    at += count;
    return { name, images, labels, count, channels: 1, height: 28, width: 28 };
  };
  return { train: split('mnist/train', counts[0]), test: split('mnist/test', counts[1]) };
}
