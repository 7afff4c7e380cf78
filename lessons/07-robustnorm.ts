/**
 * Lesson 7: RobustNorm — eq. 5 and 6, the range and the power p, and its
 * hand-derived backward pass, checked numerically.  Run: npm run lesson -- 7
 * Read along: lessons/07-robustnorm.md
 */
import { assertGradCheck, fromArray, ones, randn, Random, RobustNorm2d, robustNorm2d, zeros, type Tensor } from '../src/index.js';
import { rangeNormalizeBackward, rangeNormalizeForward } from '../src/nn/robust-norm.js';
import { robustNormComposed } from '../src/nn/composed-norms.js';
import { heading, maxDifference } from './helpers.js';

const random = new Random(0);
const values = Float64Array.from([0.2, -1.3, 0.7, 2.1, -0.4, 0.9]); // one channel's M = 6 values
const M = values.length;
const mean = values.reduce((s, v) => s + v, 0) / M;
const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / M);
const range = Math.max(...values) - Math.min(...values);

heading('Eq. 5 and 6: divide by a power of the range instead of the standard deviation');
console.log(`  values ${Array.from(values).join(', ')}: μ_B = ${mean.toFixed(3)}, σ_B = ${std.toFixed(3)}, r_B = max − min = ${range.toFixed(3)}`);
console.log(`  Popoviciu: σ² ≤ r²/4, so r ≥ 2σ  →  ${(std ** 2).toFixed(3)} ≤ ${(range ** 2 / 4).toFixed(3)}: r/σ = ${(range / std).toFixed(2)} (never below 2)`);
console.log(`  Szőkefalvi-Nagy: r² ≤ 2Mσ², so r ≤ √(2M)·σ  →  ${(range ** 2).toFixed(2)} ≤ ${(2 * M * std ** 2).toFixed(2)} (an upper bound: r/σ ≤ ${Math.sqrt(2 * M).toFixed(2)} for M = ${M})`);
for (const p of [1, 0.5, 0.2]) console.log(`  p = ${p}: divisor r^p = ${(range ** p).toFixed(3)}   (BatchNorm: σ_B = ${std.toFixed(3)})`);

heading('The power p damps how the divisor reacts when activations grow');
console.log('  scale s   BatchNorm σ_B grows by   RobustNorm r^0.2 grows by');
for (const s of [1, 2, 4, 10]) console.log(`  ${String(s).padStart(7)}   ${s.toFixed(2).padStart(22)}   ${(s ** 0.2).toFixed(2).padStart(26)}`);
console.log('  (σ and r both scale with s; r^p scales with s^p, so with p = 0.2 a 10× blow-up moves the divisor only 1.6×)');

heading('The layer: RobustNorm2d, training then the three inference modes');
const rn = new RobustNorm2d(2); // p = 0.2, ε = 1e-5, momentum 0.1
const x = randn([8, 2, 3, 3], { random, mean: 2, std: 3 });
rn.forward(x); // training: batch mean and range; running averages updated
console.log(`  after one training batch: running mean ${Array.from(rn.runningMean.data, (v) => v.toFixed(3))}, running range ${Array.from(rn.runningRange.data, (v) => v.toFixed(3))} (both start at 0 and 1)`);
rn.eval();
for (const statistics of ['batch', 'population-mean', 'population'] as const) {
  rn.statistics = statistics;
  const y = rn.forward(x);
  console.log(`  eval, statistics = ${statistics.padEnd(15)} → y[0..3] = ${y.toList().slice(0, 4).map((v) => v.toFixed(3)).join(', ')}`);
}
console.log('  (batch is the paper\'s "RN", population-mean its "RN w/ μ̂_P")');

heading('Backward, path by path, for the channel above (src/nn/robust-norm.ts, (★))');
const p = 0.2;
const eps = 1e-5;
const normalized = new Float64Array(M);
// training mode: m and r both from the batch (the running values are then unused)
const stats = rangeNormalizeForward(values, { meanFromBatch: true, scaleFromBatch: true, running: { mean: 0, range: 1 }, power: p, eps }, normalized);
const gradNormalized = Float64Array.from([0.5, -0.2, 0.1, 0.3, -0.6, 0.4]); // ∂L/∂x̂, given
const d = stats.divisor;
const sumG = gradNormalized.reduce((s, g) => s + g, 0);
const sumGX = gradNormalized.reduce((s, g, j) => s + g * (normalized[j] as number), 0);
const gradDivisor = -sumGX / d; // ∂L/∂d = −(1/d) Σ_j ∂L/∂x̂_j · x̂_j
const gradRange = gradDivisor * p * stats.range ** (p - 1); // ∂L/∂r = ∂L/∂d · p · r^(p−1)
console.log(`  d = r^p + ε = ${d.toFixed(4)};  Σ∂L/∂x̂ = ${sumG.toFixed(3)};  ∂L/∂d = ${gradDivisor.toFixed(4)};  ∂L/∂r = ${gradRange.toFixed(4)}`);
console.log('   k      x_k     direct g_k/d   mean −Σg/(M·d)   range ∂L/∂r·∂r/∂x_k      total');
const library = rangeNormalizeBackward({ values, normalized, gradNormalized }, stats, new Float64Array(M));
for (let k = 0; k < M; k++) {
  const value = values[k] as number;
  const direct = (gradNormalized[k] as number) / d;
  const viaMean = -sumG / (M * d);
  const slope = value === stats.batchMax ? 1 : value === stats.batchMin ? -1 : 0; // ∂r/∂x_k
  const viaRange = gradRange * slope;
  console.log(`  ${k}  ${value.toFixed(2).padStart(7)}  ${direct.toFixed(4).padStart(13)}  ${viaMean.toFixed(4).padStart(15)}  ${viaRange.toFixed(4).padStart(22)}  ${(direct + viaMean + viaRange).toFixed(4).padStart(9)}`);
}
console.log(`  library rangeNormalizeBackward: ${Array.from(library, (v) => v.toFixed(4)).join(', ')}`);
console.log('  only the maximum (k = 3) and the minimum (k = 1) get a range term.');

heading('Checked numerically: finite differences, and the layer composed of autograd ops');
const state = { runningMean: zeros([3], { dtype: 'float64' }), runningRange: ones([3], { dtype: 'float64' }) };
for (const mode of [{ training: true, statistics: 'batch' }, { training: false, statistics: 'population-mean' }] as const) {
  const settings = { ...mode, power: p, eps, momentum: 0.1 };
  const result = assertGradCheck(`robustNorm2d (${mode.statistics})`, (xx, gamma, beta) => robustNorm2d(xx, gamma, beta, state, settings), [
    randn([4, 3, 2, 2], { dtype: 'float64', random }),
    randn([3], { dtype: 'float64', random }),
    randn([3], { dtype: 'float64', random }),
  ]);
  console.log(`  gradCheck, ${`${mode.training ? 'training' : 'eval'}, ${mode.statistics}`.padEnd(25)}: ∂L/∂x, ∂L/∂γ, ∂L/∂β agree (max |error| ${result.maxAbsError.toExponential(1)})`);
}
const compare = (input: Tensor): [Float64Array, Float64Array] => {
  const weight = fromArray([1.5, -0.7], undefined, { dtype: 'float64', requiresGrad: true });
  const bias = fromArray([0.1, 0.2], undefined, { dtype: 'float64', requiresGrad: true });
  const twoChannels = { runningMean: zeros([2], { dtype: 'float64' }), runningRange: ones([2], { dtype: 'float64' }) };
  const gradOut = randn(input.shape, { dtype: 'float64', random: new Random(7) });
  const leaf = input.clone().requireGrad();
  robustNorm2d(leaf, weight, bias, twoChannels, { training: true, statistics: 'batch', power: p, eps, momentum: 0.1 }).backward(gradOut);
  const composedLeaf = input.clone().requireGrad();
  robustNormComposed(composedLeaf, weight, bias, { meanFromBatch: true, scaleFromBatch: true, ...twoChannels, power: p, eps }).backward(gradOut);
  return [Float64Array.from(leaf.grad?.data ?? []), Float64Array.from(composedLeaf.grad?.data ?? [])];
};
const [hand, composed] = compare(randn([3, 2, 2, 2], { dtype: 'float64', random }));
console.log(`  hand-derived vs composed (mean, max, min, pow, div): max |difference| ${maxDifference(hand, composed).toExponential(1)}`);
const constant = zeros([3, 2, 2, 2], { dtype: 'float64' });
constant.data.fill(0.5); // every value of each channel equal: r = 0
const [handConstant, composedConstant] = compare(constant);
console.log(`  a constant channel (r = 0): hand-derived ∂L/∂x[0] = ${handConstant[0]}, composed = ${composedConstant[0]}`);
console.log('  (hand-derived is large because the divisor is just ε; composed: pow\'s backward evaluates p·0^(p−1) = ∞ and multiplies it by the zero slope; the hand-derived pass takes the range term as 0)');
