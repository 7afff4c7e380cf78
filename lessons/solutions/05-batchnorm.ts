/** A solution to exercise 5 (lessons/exercises/05-batchnorm.ts). */
export function batchNormBackward(values: readonly number[], gradNormalized: readonly number[], eps: number): number[] {
  const M = values.length;
  const m = values.reduce((sum, x) => sum + x, 0) / M;
  const v = values.reduce((sum, x) => sum + (x - m) ** 2, 0) / M;
  const s = 1 / Math.sqrt(v + eps);
  // ∂L/∂m = Σ_j ∂L/∂x̂_j · ∂x̂_j/∂m = −s · Σ_j ∂L/∂x̂_j
  const gradMean = -s * gradNormalized.reduce((sum, g) => sum + g, 0);
  // ∂L/∂v = Σ_j ∂L/∂x̂_j · (x_j − m) · (−½)(v + ε)^(−3/2) = −½ s³ · Σ_j ∂L/∂x̂_j (x_j − m)
  const gradVariance = -0.5 * s ** 3 * gradNormalized.reduce((sum, g, j) => sum + g * ((values[j] as number) - m), 0);
  // ∂m/∂x_k = 1/M;  ∂v/∂x_k = 2(x_k − m)/M (its path through m adds −(2/M)·Σ_j (x_j − m)/M = 0)
  return values.map((x, k) => s * (gradNormalized[k] as number) + gradMean / M + gradVariance * 2 * (x - m) / M);
}
