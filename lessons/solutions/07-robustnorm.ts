/** A solution to exercise 7 (lessons/exercises/07-robustnorm.ts). */
export function robustNormBackward(values: readonly number[], gradNormalized: readonly number[], power: number, eps: number): number[] {
  const M = values.length;
  const mean = values.reduce((sum, v) => sum + v, 0) / M;
  const max = Math.max(...values);
  const min = Math.min(...values);
  const range = max - min;
  const d = range ** power + eps;
  const g = (k: number) => gradNormalized[k] as number;
  const sumG = values.reduce((sum, _, j) => sum + g(j), 0);
  const sumGX = values.reduce((sum, v, j) => sum + g(j) * ((v - mean) / d), 0);
  const gradMean = -sumG / d; // ∂L/∂m
  const gradRange = (-sumGX / d) * power * range ** (power - 1); // ∂L/∂r = ∂L/∂d · p·r^(p−1)
  return values.map((v, k) => g(k) / d + gradMean / M + gradRange * (v === max ? 1 : v === min ? -1 : 0));
}
