/** Check for exercise 5: your BatchNorm backward against the library's and against finite differences. */
import { noGrad, Random } from '../../src/index.js';
import { standardizeBackward, standardizeForward } from '../../src/nn/batch-norm.js';
import { expect, maxDifference } from '../helpers.js';
import { loadExercise } from './exercise.js';

const { batchNormBackward } = await loadExercise<typeof import('../exercises/05-batchnorm.js')>('05-batchnorm');

const random = new Random(5);
const eps = 1e-5;
const training = { meanFromBatch: true, scaleFromBatch: true, eps };
for (const M of [9, 36]) {
  const values = Array.from({ length: M }, () => 3 + random.normal() * 2);
  const grads = Array.from({ length: M }, () => random.normal());
  const normalized = new Float64Array(M);
  const stats = standardizeForward(Float64Array.from(values), training, normalized);
  const expected = standardizeBackward({ values: Float64Array.from(values), normalized, gradNormalized: Float64Array.from(grads) }, stats, new Float64Array(M));
  const got = batchNormBackward(values, grads, eps);
  expect(got.length === M, `M = ${M}: you returned ${got.length} gradients, expected ${M}`);
  const error = maxDifference(got, expected);
  expect(error < 1e-10, `M = ${M}: your ∂L/∂x differs from the library's by up to ${error}\n  yours:   ${got.slice(0, 6).map((v) => v.toFixed(5))} …\n  library: ${Array.from(expected.slice(0, 6), (v) => v.toFixed(5))} …`);
  // And against finite differences of L = Σ_k g_k · x̂_k, so both are right.
  const loss = (xs: number[]) => noGrad(() => {
    const out = new Float64Array(M);
    standardizeForward(Float64Array.from(xs), training, out);
    return out.reduce((sum, v, k) => sum + v * (grads[k] as number), 0);
  });
  const h = 1e-6;
  const numeric = values.map((_, k) => (loss(values.map((v, j) => (j === k ? v + h : v))) - loss(values.map((v, j) => (j === k ? v - h : v)))) / (2 * h));
  expect(maxDifference(got, numeric) < 1e-6, `M = ${M}: differs from finite differences by ${maxDifference(got, numeric)}`);
  console.log(`M = ${M}: your ∂L/∂x = standardizeBackward = finite differences ✓`);
}
