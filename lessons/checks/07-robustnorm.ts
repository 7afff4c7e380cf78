/** Check for exercise 7: your RobustNorm backward against the library's and against finite differences. */
import { noGrad, Random } from '../../src/index.js';
import { rangeNormalizeBackward, rangeNormalizeForward } from '../../src/nn/robust-norm.js';
import { expect, maxDifference } from '../helpers.js';
import { loadExercise } from './exercise.js';

const { robustNormBackward } = await loadExercise<typeof import('../exercises/07-robustnorm.js')>('07-robustnorm');

const random = new Random(7);
for (const power of [0.2, 1]) {
  const values = Array.from({ length: 9 }, () => random.normal() * 2);
  const grads = Array.from({ length: 9 }, () => random.normal());
  const eps = 1e-5;
  const normalized = new Float64Array(9);
  const training = { meanFromBatch: true, scaleFromBatch: true, running: { mean: 0, range: 1 }, power, eps };
  const stats = rangeNormalizeForward(Float64Array.from(values), training, normalized);
  const expected = rangeNormalizeBackward({ values: Float64Array.from(values), normalized, gradNormalized: Float64Array.from(grads) }, stats, new Float64Array(9));
  const got = robustNormBackward(values, grads, power, eps);
  const error = maxDifference(got, expected);
  expect(error < 1e-10, `p = ${power}: your ∂L/∂x differs from the library's by up to ${error}\n  yours:   ${got.map((v) => v.toFixed(5))}\n  library: ${Array.from(expected, (v) => v.toFixed(5))}`);
  // And the library's against finite differences of L = Σ_k g_k · x̂_k, so both are right.
  const loss = (xs: number[]) => noGrad(() => {
    const out = new Float64Array(9);
    rangeNormalizeForward(Float64Array.from(xs), training, out);
    return out.reduce((sum, v, k) => sum + v * (grads[k] as number), 0);
  });
  const h = 1e-6;
  const numeric = values.map((_, k) => (loss(values.map((v, j) => (j === k ? v + h : v))) - loss(values.map((v, j) => (j === k ? v - h : v)))) / (2 * h));
  expect(maxDifference(got, numeric) < 1e-6, `p = ${power}: differs from finite differences by ${maxDifference(got, numeric)}`);
  console.log(`p = ${power}: your ∂L/∂x = rangeNormalizeBackward = finite differences ✓`);
}
