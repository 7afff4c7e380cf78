import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fashionMnistDir, limitDataset, loadDataset } from '../src/data/datasets.js';
import { parseIdx, readIdx } from '../src/data/idx.js';
import { batches } from '../src/data/loader.js';
import { Random } from '../src/random.js';

function idxBytes(dims: number[], values: number[]): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((dim, i) => header.writeUInt32BE(dim, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(values)]);
}

describe('IDX reader', () => {
  it('reads raw and gzipped files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'idx-'));
    const bytes = idxBytes([2, 3], [1, 2, 3, 4, 5, 6]);
    writeFileSync(join(dir, 'raw'), bytes);
    writeFileSync(join(dir, 'packed.gz'), gzipSync(bytes));
    for (const file of ['raw', 'packed.gz']) {
      const parsed = readIdx(join(dir, file));
      expect(parsed.dims).toEqual([2, 3]);
      expect(Array.from(parsed.data)).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it('rejects a wrong magic number, naming the file', () => {
    const bytes = idxBytes([2], [1, 2]);
    bytes[0] = 0x12;
    expect(() => parseIdx(bytes, 'labels.idx')).toThrow(/labels\.idx: not a valid IDX file: magic number/);
    const floats = idxBytes([2], [1, 2]);
    floats[2] = 0x0d;
    expect(() => parseIdx(floats, 'f.idx')).toThrow(/element type 0xd is not supported/);
  });

  it('rejects truncated files and trailing bytes', () => {
    expect(() => parseIdx(idxBytes([2, 3], [1, 2, 3, 4]), 'short.idx')).toThrow(/short\.idx: .*truncated: dimensions \[2, 3\] need 6 values but only 4 bytes/);
    expect(() => parseIdx(idxBytes([2, 3], []).subarray(0, 9), 'header.idx')).toThrow(/truncated header/);
    expect(() => parseIdx(idxBytes([1], [1, 2]), 'long.idx')).toThrow(/1 unexpected bytes/);
  });

  it('reports an unreadable file and corrupt gzip by name', () => {
    expect(() => readIdx('/nonexistent/x.idx')).toThrow(/\/nonexistent\/x\.idx: cannot read/);
    const dir = mkdtempSync(join(tmpdir(), 'idx-'));
    writeFileSync(join(dir, 'bad.gz'), Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    expect(() => readIdx(join(dir, 'bad.gz'))).toThrow(/bad\.gz: corrupt gzip data/);
  });
});

describe('datasets', () => {
  it('splits the embedded digits 8,000 / 2,000, the same way every time', () => {
    const first = loadDataset('mnist');
    const second = loadDataset('mnist');
    expect(first.train.count).toBe(8000);
    expect(first.test.count).toBe(2000);
    expect(Array.from(first.test.labels.subarray(0, 50))).toEqual(Array.from(second.test.labels.subarray(0, 50)));
    let min = Infinity;
    let max = -Infinity;
    for (const v of first.train.images) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect([min, max]).toEqual([0, 1]);
    expect(new Set(first.train.labels).size).toBe(10);
  });

  it('limits to the first N samples', () => {
    const limited = limitDataset(loadDataset('mnist').test, 10);
    expect(limited.count).toBe(10);
    expect(limited.images.length).toBe(7840);
  });

  it('explains how to get Fashion-MNIST when it is missing', () => {
    const saved = process.env.FASHION_MNIST_DIR;
    delete process.env.FASHION_MNIST_DIR; // (one naming a missing folder is an error: test/reliability.test.ts, case 5)
    try {
      const found = (() => { try { return fashionMnistDir(); } catch (error) { return (error as Error).message; } })();
      if (found.startsWith('/')) expect(found).toBe('/usr/share/datasets/fashion-mnist');
      else expect(found).toMatch(/apt-get install dataset-fashion-mnist.*--data-dir/s);
    } finally {
      if (saved === undefined) delete process.env.FASHION_MNIST_DIR;
      else process.env.FASHION_MNIST_DIR = saved;
    }
  });

  it('refuses a --data-dir that does not exist, or that the embedded mnist cannot use', () => {
    expect(() => fashionMnistDir('/nonexistent/typo')).toThrow(/--data-dir \/nonexistent\/typo: no such folder/);
    expect(() => loadDataset('mnist', { dataDir: '/tmp' })).toThrow(/mnist dataset is embedded and reads no folder/);
  });
});

describe('batch loader', () => {
  const data = limitDataset(loadDataset('mnist').train, 50);

  it('covers every sample once, with a smaller last batch', () => {
    const seen = [...batches(data, { batchSize: 16, shuffle: new Random(1) })];
    expect(seen.map((b) => b.labels.length)).toEqual([16, 16, 16, 2]);
    expect(seen.flatMap((b) => b.indices).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(seen[0]!.images.shape).toEqual([16, 1, 28, 28]);
  });

  it('shuffles the same way for the same seed', () => {
    const order = (seed: number) => [...batches(data, { batchSize: 50, shuffle: new Random(seed) })][0]!.indices;
    expect(order(3)).toEqual(order(3));
    expect(order(3)).not.toEqual(order(4));
  });

  it('flips images left–right', () => {
    const flipped = [...batches(limitDataset(data, 1), { batchSize: 1, flip: { uniform: () => 0 } as unknown as Random })][0]!.images;
    for (let row = 0; row < 28; row++) {
      for (let col = 0; col < 28; col++) expect(flipped.data[row * 28 + col]).toBe(data.images[row * 28 + 27 - col]);
    }
  });
});
