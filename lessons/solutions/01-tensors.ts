/** A solution to exercise 1 (lessons/exercises/01-tensors.ts). */
import type { Tensor } from '../../src/index.js';

export function softmax(x: Tensor): Tensor {
  const shifted = x.sub(x.max(-1, true)); // [N, K] − [N, 1]
  const e = shifted.exp();
  return e.div(e.sum(-1, true)); // [N, K] / [N, 1]
}
