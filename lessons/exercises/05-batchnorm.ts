/**
 * Exercise 5: BatchNorm's backward pass for one channel, in training mode
 * (m = μ_B and v = σ²_B, the batch's mean and biased variance).
 *
 * Given the channel's values x_1 … x_M and ∂L/∂x̂ for each of them, where
 *   x̂_k = (x_k − m) · s,   s = 1/√(v + ε),
 *   m = (1/M)·Σ_j x_j,     v = (1/M)·Σ_j (x_j − m)²,
 * return ∂L/∂x_k for every k. Each x_k reaches the x̂'s along three paths:
 * directly (through its own x̂_k), through m (every x̂_j uses m) and through v
 * (every x̂_j uses s). Write ∂L/∂m and ∂L/∂v as sums over j, multiply each by
 * ∂m/∂x_k and ∂v/∂x_k, and add the three. (The derivation is in the header of
 * src/nn/batch-norm.ts, if you get stuck; don't call the library.)
 *
 * Check: npm run lesson -- 5 --check  (compares with the library's
 * standardizeBackward and with finite differences)
 */
export function batchNormBackward(values: readonly number[], gradNormalized: readonly number[], eps: number): number[] {
  // TODO
  throw new Error(`batchNormBackward is not written yet (${values.length} values, ${gradNormalized.length} gradients, ε = ${eps})`);
}
