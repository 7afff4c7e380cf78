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

export { relativeError } from '../src/testing/relative-error.js';
