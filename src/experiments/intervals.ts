/**
 * How sure an accuracy is: the 95% Wilson score interval of a proportion.
 *
 * An accuracy measured on n test images is k/n for k correct images. Read as
 * a binomial proportion, its 95% Wilson interval is
 *
 *   (p̂ + z²/2n ± z·√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n),   p̂ = k/n, z = 1.96
 *
 * Unlike p̂ ± z·√(p̂(1 − p̂)/n) it stays inside [0, 1] and is not empty at
 * p̂ = 0 or 1, where robust accuracies often sit. On 512 images a 50%
 * accuracy carries about ±4.3 points, a 97% one about −1.8/+1.3.
 *
 * Runs with several seeds pool their images (k and n summed over seeds):
 * that interval covers the test-image sampling noise, not the seed-to-seed
 * spread, which the report gives separately.
 */

/** A 95% interval of a proportion, as fractions in [0, 1]. */
export interface Interval {
  low: number;
  high: number;
}

const Z95 = 1.959963984540054;

/** The 95% Wilson score interval of `correct` successes out of `total`. */
export function wilsonInterval(correct: number, total: number): Interval {
  if (!(total > 0)) return { low: 0, high: 1 };
  if (correct < 0 || correct > total) throw new Error(`wilsonInterval: ${correct} correct out of ${total} is not a proportion`);
  const p = correct / total;
  const z2 = Z95 * Z95;
  const center = (p + z2 / (2 * total)) / (1 + z2 / total);
  const halfWidth = (Z95 * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total))) / (1 + z2 / total);
  return { low: Math.max(0, center - halfWidth), high: Math.min(1, center + halfWidth) };
}

/** The interval of an accuracy `fraction` measured on `images` images (k = fraction · images, rounded). */
export function accuracyInterval(fraction: number, images: number): Interval {
  if (!Number.isFinite(fraction) || !(images > 0)) return { low: Number.NaN, high: Number.NaN };
  return wilsonInterval(Math.round(fraction * images), images);
}

/**
 * +1 when `a` is clearly above `b` (a's interval lies wholly above b's),
 * −1 when clearly below, 0 when the intervals overlap: the differences the
 * report's effect sentences count.
 */
export function clearDifference(a: Interval, b: Interval): -1 | 0 | 1 {
  if (a.low > b.high) return 1;
  if (a.high < b.low) return -1;
  return 0;
}
