import { Random } from '../src/random.js';
import { randn, Tensor } from '../src/tensor/tensor.js';

/** A float64 tensor of N(0, 1) samples, seeded. */
export function randomTensor(shape: readonly number[], seed: number, options: { offset?: number; scale?: number } = {}): Tensor {
  const t = randn(shape, { random: new Random(seed), dtype: 'float64' });
  if (options.scale !== undefined || options.offset !== undefined) {
    for (let i = 0; i < t.size; i++) t.data[i] = (t.data[i] as number) * (options.scale ?? 1) + (options.offset ?? 0);
  }
  return t;
}

/** Largest |a − b| relative to the largest |b|. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs((actual[i] as number) - (expected[i] as number)));
    maxRef = Math.max(maxRef, Math.abs(expected[i] as number));
  }
  return maxDiff / Math.max(maxRef, 1e-30);
}
