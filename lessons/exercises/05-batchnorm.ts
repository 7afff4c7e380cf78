/**
 * Exercise 5: BatchNorm's running-statistics update for one channel, as the
 * paper's eq. 3 with PyTorch's conventions:
 *
 *   μ̂ ← (1 − τ)·μ̂ + τ·μ_B
 *   σ̂² ← (1 − τ)·σ̂² + τ·σ²_B · M/(M − 1)
 *
 * where μ_B and σ²_B are the mean and the BIASED variance of the channel's M
 * values in this batch (so σ²_B·M/(M − 1) is the unbiased one).
 *
 * Check: npm run lesson -- 5 --check  (compares with BatchNorm2d over several batches)
 */
export function updateRunningStatistics(
  running: { mean: number; variance: number },
  values: readonly number[],
  momentum: number,
): { mean: number; variance: number } {
  // TODO
  throw new Error(`updateRunningStatistics is not written yet (${values.length} values, τ = ${momentum}, μ̂ = ${running.mean})`);
}
