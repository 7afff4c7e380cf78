/** A solution to exercise 5 (lessons/exercises/05-batchnorm.ts). */
export function updateRunningStatistics(
  running: { mean: number; variance: number },
  values: readonly number[],
  momentum: number,
): { mean: number; variance: number } {
  const M = values.length;
  const mean = values.reduce((sum, v) => sum + v, 0) / M;
  const biased = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / M;
  return {
    mean: (1 - momentum) * running.mean + momentum * mean,
    variance: (1 - momentum) * running.variance + momentum * biased * (M / (M - 1)),
  };
}
