/**
 * Lesson 5: BatchNorm forward and backward, and its running statistics.  Run: npm run lesson -- 5
 * Read along: lessons/05-batchnorm.md
 */
import { BatchNorm2d, batchNorm2d, gradCheck, ones, randn, Random, zeros, type Tensor } from '../src/index.js';
import { batchNormComposed } from '../src/nn/composed-norms.js';
import { heading, maxDifference } from './helpers.js';

const random = new Random(0);
const perChannel = (t: Tensor, c: number): number[] => {
  const [N, C, H, W] = t.shape as [number, number, number, number];
  const values: number[] = [];
  for (let n = 0; n < N; n++) for (let i = 0; i < H * W; i++) values.push(t.data[(n * C + c) * H * W + i] as number);
  return values;
};
const meanVar = (values: number[]): [number, number] => {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return [mean, values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length];
};

heading('Training mode: normalize each channel with the batch\'s own μ_B and σ²_B');
const bn = new BatchNorm2d(2);
const x = randn([4, 2, 3, 3], { random, mean: 5, std: 3 }); // 4 images, 2 channels, 3×3: M = 4·3·3 = 36 values per channel
const y = bn.forward(x);
for (let c = 0; c < 2; c++) {
  const [mx, vx] = meanVar(perChannel(x, c));
  const [my, vy] = meanVar(perChannel(y, c));
  console.log(`  channel ${c}: x has mean ${mx.toFixed(3)}, var ${vx.toFixed(3)}  →  y has mean ${my.toFixed(6)}, var ${vy.toFixed(6)} (γ = 1, β = 0)`);
}

heading('Running statistics: μ̂ ← (1 − τ)μ̂ + τμ_B,  σ̂² ← (1 − τ)σ̂² + τ·σ²_B·M/(M − 1)');
const [m0, v0] = meanVar(perChannel(x, 0));
console.log(`  τ = ${bn.momentum}; channel 0 started at μ̂ = 0, σ̂² = 1`);
console.log(`  after one batch: μ̂ = ${bn.runningMean.data[0]?.toFixed(5)} (0.9·0 + 0.1·${m0.toFixed(3)} = ${(0.1 * m0).toFixed(5)})`);
console.log(`                   σ̂² = ${bn.runningVar.data[0]?.toFixed(5)} (0.9·1 + 0.1·${v0.toFixed(3)}·36/35 = ${(0.9 + 0.1 * v0 * 36 / 35).toFixed(5)}: the UNBIASED variance, as PyTorch)`);
for (let step = 0; step < 60; step++) bn.forward(randn([4, 2, 3, 3], { random, mean: 5, std: 3 }));
console.log(`  after 60 more batches from the same distribution: μ̂ = [${Array.from(bn.runningMean.data, (v) => v.toFixed(2))}], σ̂² = [${Array.from(bn.runningVar.data, (v) => v.toFixed(2))}] (true: 5 and 9)`);

heading('Inference: population statistics (the usual) or batch statistics');
bn.eval();
const shifted = randn([4, 2, 3, 3], { random, mean: 8, std: 3 }); // a batch whose distribution moved
for (const statistics of ['population', 'batch'] as const) {
  bn.statistics = statistics;
  const out = bn.forward(shifted);
  const [mean] = meanVar(perChannel(out, 0));
  console.log(`  ${statistics.padEnd(10)} on a batch shifted by +3: channel 0 output mean ${mean.toFixed(3)}`);
}
console.log('  population statistics do not follow the shift; batch statistics do (lesson 6 is about exactly this).');
bn.statistics = 'batch';
console.log('  batch statistics on ONE 1×1 value per channel (M = 1): σ²_B = 0, so every output is β:', bn.forward(randn([1, 2, 1, 1], { random })).toList());
const oneImage = bn.forward(randn([1, 2, 3, 3], { random, mean: 5, std: 3 }));
const [oneMean, oneVariance] = meanVar(perChannel(oneImage, 0));
console.log(`  but ONE 3×3 image (M = 1·3·3 = 9 values per channel): σ²_B > 0, channel 0 output mean ${oneMean.toFixed(3)}, var ${oneVariance.toFixed(3)}`);
console.log('  a conv layer at batch size 1 still normalizes each image by its own H·W values; lesson 6 measures what that does to accuracy.');

heading('Backward: the hand-derived pass (batch-norm.ts) vs the same layer composed of autograd ops');
const layer = new BatchNorm2d(3, { dtype: 'float64' });
layer.weight.data.set([1.5, -0.5, 2]);
layer.bias.data.set([0.1, 0.2, -0.3]);
const input = randn([5, 3, 2, 2], { dtype: 'float64', random }).requireGrad();
const gradOut = randn([5, 3, 2, 2], { dtype: 'float64', random });
layer.forward(input).backward(gradOut);
const handDerived = Float64Array.from(input.grad?.data ?? []);
input.zeroGrad();
const statistics = { meanFromBatch: true, scaleFromBatch: true, runningMean: zeros([3], { dtype: 'float64' }), runningVar: ones([3], { dtype: 'float64' }), eps: layer.eps };
batchNormComposed(input, layer.weight, layer.bias, statistics).backward(gradOut);
console.log('  max |hand-derived − composed| for ∂L/∂x =', maxDifference(handDerived, input.grad?.data ?? []).toExponential(1));

// batchNorm2d (what BatchNorm2d.forward calls) takes γ and β as tensors, so gradCheck can perturb them too.
const state = { runningMean: zeros([3], { dtype: 'float64' }), runningVar: ones([3], { dtype: 'float64' }) };
const settings = { training: true, statistics: 'population', eps: 1e-5, momentum: 0.1 } as const;
const check = gradCheck((xx, gamma, beta) => batchNorm2d(xx, gamma, beta, state, settings), [
  randn([4, 3, 2, 2], { dtype: 'float64', random }),
  randn([3], { dtype: 'float64', random }),
  randn([3], { dtype: 'float64', random }),
]);
console.log('  finite differences for ∂L/∂x, ∂L/∂γ, ∂L/∂β:', check.ok ? 'agree' : 'MISMATCH', `(max |error| ${check.maxAbsError.toExponential(1)})`);
