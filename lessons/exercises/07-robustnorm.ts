/**
 * Exercise 7: RobustNorm's backward pass for one channel, in training mode
 * (m = μ_B and r = r_B both from the batch; assume no ties at the max or min).
 *
 * Given the channel's values x_1 … x_M and ∂L/∂x̂ for each of them, where
 *   x̂_k = (x_k − μ_B) / d,   d = r_B^p + ε,   r_B = max_k x_k − min_k x_k,
 * return ∂L/∂x_k for every k: the sum of the direct path, the path through the
 * mean and the path through the range — (★) in src/nn/robust-norm.ts, which
 * you may read but not call.
 *
 * Check: npm run lesson -- 7 --check  (compares with rangeNormalizeBackward and finite differences)
 */
export function robustNormBackward(values: readonly number[], gradNormalized: readonly number[], power: number, eps: number): number[] {
  // TODO
  throw new Error(`robustNormBackward is not written yet (${values.length} values, ${gradNormalized.length} gradients, p = ${power}, ε = ${eps})`);
}
