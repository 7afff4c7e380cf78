/**
 * Mean/variance standardization of one group of values x₁ … x_M, and its
 * hand-derived backward pass. BatchNorm applies it per channel, LayerNorm per
 * sample.
 *
 * Forward:
 *   μ_B = (1/M) Σ_k x_k                      the batch (group) mean
 *   σ²_B = (1/M) Σ_k (x_k − μ_B)²            the biased batch variance
 *   m = μ_B, or a running mean μ̂ (a constant) — the centre
 *   v = σ²_B, or a running variance σ̂² (a constant) — the spread
 *   s = 1 / √(v + ε)
 *   x̂_k = (x_k − m) · s
 *
 * Backward, given ∂L/∂x̂_k for every k. x_k reaches x̂ along up to three paths:
 * directly, through m (when m = μ_B) and through v (when v = σ²_B). By the
 * chain rule:
 *
 *   ∂L/∂x_k = ∂L/∂x̂_k · ∂x̂_k/∂x_k  +  ∂L/∂m · ∂m/∂x_k  +  ∂L/∂v · ∂v/∂x_k
 *
 * with
 *   ∂x̂_k/∂x_k (m and v held fixed) = s
 *   ∂L/∂m = Σ_j ∂L/∂x̂_j · ∂x̂_j/∂m = −s · Σ_j ∂L/∂x̂_j,         ∂μ_B/∂x_k = 1/M
 *   ∂L/∂v = Σ_j ∂L/∂x̂_j · ∂x̂_j/∂v = Σ_j ∂L/∂x̂_j · (x_j − m) · (−½)(v + ε)^(−3/2)
 *         = −½ s³ · Σ_j ∂L/∂x̂_j (x_j − m),                     ∂σ²_B/∂x_k = 2(x_k − μ_B)/M
 *
 * (σ²_B also depends on μ_B, but that path contributes ∂σ²_B/∂μ_B = −(2/M) Σ_j (x_j − μ_B) = 0.)
 * A statistic that is a running average is a constant: its path contributes nothing.
 */

export interface StandardizeStatistics {
  /** μ_B and σ²_B of this group. */
  batchMean: number;
  batchVariance: number;
  /** The centre m and spread v actually used. */
  center: number;
  spread: number;
  /** s = 1/√(v + ε) */
  invStd: number;
  /** Whether m is μ_B (so the gradient flows through it) and v is σ²_B. */
  meanFromBatch: boolean;
  spreadFromBatch: boolean;
}

/** μ_B and the biased σ²_B of `values` (two passes, in float64). */
export function meanAndVariance(values: Float64Array): { mean: number; variance: number } {
  let sum = 0;
  for (let k = 0; k < values.length; k++) sum += values[k] as number;
  const mean = sum / values.length;
  let squares = 0;
  for (let k = 0; k < values.length; k++) squares += ((values[k] as number) - mean) ** 2;
  return { mean, variance: squares / values.length };
}

/**
 * Picks m and v (batch or running) and computes x̂ into `normalized`.
 * `running` is undefined where the caller has no running statistics.
 */
export function standardizeForward(
  values: Float64Array,
  meanFromBatch: boolean,
  spreadFromBatch: boolean,
  running: { mean: number; variance: number } | undefined,
  eps: number,
  normalized: Float64Array,
): StandardizeStatistics {
  const { mean: batchMean, variance: batchVariance } = meanAndVariance(values);
  const center = meanFromBatch || running === undefined ? batchMean : running.mean;
  const spread = spreadFromBatch || running === undefined ? batchVariance : running.variance;
  const invStd = 1 / Math.sqrt(spread + eps);
  const stats = { batchMean, batchVariance, center, spread, invStd, meanFromBatch, spreadFromBatch };
  standardize(values, stats, normalized);
  return stats;
}

/** x̂_k = (x_k − m) · s with the statistics forward chose (backward calls it again rather than storing x̂). */
export function standardize(values: Float64Array, stats: StandardizeStatistics, normalized: Float64Array): Float64Array {
  const { center, invStd } = stats;
  for (let k = 0; k < values.length; k++) normalized[k] = ((values[k] as number) - center) * invStd;
  return normalized;
}

/** ∂L/∂x for one group from ∂L/∂x̂ (the derivation is at the top of this file). */
export function standardizeBackward(values: Float64Array, gradNormalized: Float64Array, stats: StandardizeStatistics, gradInput: Float64Array): Float64Array {
  const M = values.length;
  const s = stats.invStd;
  // ∂L/∂m = −s · Σ_j ∂L/∂x̂_j                         (only when m = μ_B)
  let gradCenter = 0;
  // ∂L/∂v = −½ s³ · Σ_j ∂L/∂x̂_j (x_j − m)            (only when v = σ²_B)
  let gradSpread = 0;
  for (let j = 0; j < M; j++) {
    const g = gradNormalized[j] as number;
    gradCenter += g;
    gradSpread += g * ((values[j] as number) - stats.center);
  }
  gradCenter = stats.meanFromBatch ? -s * gradCenter : 0;
  gradSpread = stats.spreadFromBatch ? -0.5 * s * s * s * gradSpread : 0;
  // ∂L/∂x_k = ∂L/∂x̂_k · s  +  ∂L/∂m · (1/M)  +  ∂L/∂v · 2(x_k − μ_B)/M
  for (let k = 0; k < M; k++) {
    gradInput[k] = (gradNormalized[k] as number) * s + gradCenter / M + (gradSpread * 2 * ((values[k] as number) - stats.batchMean)) / M;
  }
  return gradInput;
}
