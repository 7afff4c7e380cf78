/**
 * bench/allocation.ts counts the array memory a run allocates (the bench's
 * "new MB/run" column): every typed array and buffer made, nothing for views
 * of existing memory, and it puts the global constructors back afterwards.
 * (This file's process keeps V8's typed-array fast paths off afterwards,
 * which is why the bench measures in a child process.)
 */
import { expect, it } from 'vitest';
import { allocatedBytesPerRun } from '../bench/allocation.js';

it('counts new arrays and buffers, and not views of existing memory', () => {
  const existing = new Float32Array(64);
  const perRun = allocatedBytesPerRun(() => {
    const fresh = new Float32Array(1000); // 4000
    new Float64Array(fresh); // 8000, a copy
    fresh.slice(0, 10); // 40
    Float32Array.from([1, 2, 3]); // 12
    new SharedArrayBuffer(100); // 100
    fresh.subarray(5); // a view: 0
    new Int32Array(existing.buffer, 0, 16); // a view: 0
    existing.map((value) => value); // 256
  }, 3);
  expect(perRun).toBe(4000 + 8000 + 40 + 12 + 100 + 256);
});

it('puts the constructors and methods back, also when the run throws', () => {
  const before = [Float32Array, ArrayBuffer, Object.getPrototypeOf(Float32Array.prototype).slice];
  expect(() => allocatedBytesPerRun(() => {
    throw new Error('inside the run');
  }, 1)).toThrow('inside the run');
  expect([Float32Array, ArrayBuffer, Object.getPrototypeOf(Float32Array.prototype).slice]).toEqual(before);
  expect(new Float32Array(2)).toBeInstanceOf(Float32Array);
});
