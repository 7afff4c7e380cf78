/**
 * Lesson 4: convolution forward and its two backward kernels.  Run: npm run lesson -- 4
 * Read along: lessons/04-convolution.md
 */
import { conv2d, fromArray, getBackend, gradCheck, lastKernelRun, randn, Random, referenceBackend, Tensor } from '../src/index.js';
import { heading, maxDifference } from './helpers.js';

heading('Forward: y[n, co, oh, ow] = Σ_c Σ_kh Σ_kw x[n, c, oh·s − p + kh, ow·s − p + kw] · w[co, c, kh, kw]');
const x = fromArray([[[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]]], undefined, { requiresGrad: true }); // [1, 1, 4, 4]
const w = fromArray([[[[0, 1, 0], [1, -4, 1], [0, 1, 0]]]], undefined, { requiresGrad: true }); // a Laplacian, [1, 1, 3, 3]
const y = conv2d(x, w, null, { padding: 1 });
console.log('x [1, 1, 4, 4] ⋆ 3×3 Laplacian, padding 1 → y', y.shape, '(OH = ⌊(4 + 2·1 − 3)/1⌋ + 1 = 4)');
console.log(y.toString());
console.log('ran on', lastKernelRun()?.executedOn);
const strided = conv2d(x, w, null, { stride: 2, padding: 1 });
console.log('stride 2 →', strided.shape, '(OH = ⌊(4 + 2 − 3)/2⌋ + 1 = 2):', strided.toList());

heading('Backward: two more kernels');
// ∂L/∂x[n, c, ih, iw] = Σ_co Σ_kh Σ_kw ∂L/∂y[n, co, oh, ow] · w[co, c, kh, kw]   (conv2d-grad-input.ts)
// ∂L/∂w[co, c, kh, kw] = Σ_n Σ_oh Σ_ow ∂L/∂y[n, co, oh, ow] · x[n, c, ih, iw]    (conv2d-grad-weight.ts)
const gradY = fromArray(Array.from({ length: 16 }, (_, i) => (i % 3) - 1), [1, 1, 4, 4]);
y.backward(gradY);
console.log('∂L/∂x =', x.grad?.toList());
console.log('∂L/∂w =', w.grad?.toList());

heading('The backend\'s kernels agree with their reference twins');
const random = new Random(0);
const shape = { batch: 2, inChannels: 3, height: 9, width: 7, outChannels: 4, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1, outHeight: 5, outWidth: 4 };
const xs = Float32Array.from(randn([2, 3, 9, 7], { random }).data);
const ws = Float32Array.from(randn([4, 3, 3, 3], { random }).data);
const gs = Float32Array.from(randn([2, 4, 5, 4], { random }).data);
const backend = getBackend();
console.log(`  forward      max |${backend.name} − reference| = ${maxDifference(backend.conv2dForward(xs, ws, shape), referenceBackend.conv2dForward(xs, ws, shape)).toExponential(1)}`);
console.log(`  grad-input   max |${backend.name} − reference| = ${maxDifference(backend.conv2dGradInput(gs, ws, shape), referenceBackend.conv2dGradInput(gs, ws, shape)).toExponential(1)}`);
console.log(`  grad-weight  max |${backend.name} − reference| = ${maxDifference(backend.conv2dGradWeight(xs, gs, shape), referenceBackend.conv2dGradWeight(xs, gs, shape)).toExponential(1)}`);

heading('∂L/∂x is a convolution too: of ∂L/∂y with the flipped kernel');
// For stride 1, padding p and a K×K kernel: ∂L/∂x = conv(∂L/∂y, flip(w) with in/out channels swapped, padding K − 1 − p).
const flipped = new Tensor(Float32Array.from(w.data).reverse(), [1, 1, 3, 3]); // one channel: swapping is a no-op
const transposed = conv2d(gradY, flipped, null, { padding: 3 - 1 - 1 });
console.log('conv(∂L/∂y, flip(w)) =', transposed.toList());
console.log('matches ∂L/∂x:', maxDifference(transposed.data, x.grad?.data ?? []) === 0);

heading('Gradient check in float64 (float64 runs on the reference twins)');
const check = gradCheck((input, weight, bias) => conv2d(input, weight, bias, { stride: 2, padding: 1 }), [
  randn([2, 2, 5, 5], { dtype: 'float64', random }),
  randn([3, 2, 3, 3], { dtype: 'float64', random }),
  randn([3], { dtype: 'float64', random }),
]);
console.log('conv2d, stride 2, padding 1, with bias:', check.ok ? 'gradients agree' : 'MISMATCH', `(max |error| ${check.maxAbsError.toExponential(1)})`);
