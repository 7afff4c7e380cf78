/** A solution to exercise 2 (lessons/exercises/02-autograd.ts). */
import type { Tensor } from '../../src/index.js';

export function softplus(x: Tensor): Tensor {
  return x.exp().add(1).log();
}

/** d/dx log(1 + eˣ) = eˣ / (1 + eˣ) = 1 / (1 + e⁻ˣ), the logistic sigmoid. */
export function softplusDerivative(x: Tensor): Tensor {
  return x.neg().exp().add(1).pow(-1);
}
