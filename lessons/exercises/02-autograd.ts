/**
 * Exercise 2: softplus and its derivative.
 *
 *   softplus(x) = log(1 + exp(x))
 *
 * 1. `softplus(x)`: write it with tensor methods (exp, add, log), so autograd
 *    can differentiate it.
 * 2. `softplusDerivative(x)`: derive d softplus / dx by hand and compute it
 *    element-wise with tensor methods (the check compares it with what
 *    backward() gives, and gradCheck compares backward() with finite differences).
 *
 * Check: npm run lesson -- 2 --check
 */
import type { Tensor } from '../../src/index.js';

export function softplus(x: Tensor): Tensor {
  // TODO
  throw new Error(`softplus is not written yet (input ${x.shape})`);
}

export function softplusDerivative(x: Tensor): Tensor {
  // TODO: d/dx log(1 + eˣ) = ?
  throw new Error(`softplusDerivative is not written yet (input ${x.shape})`);
}
