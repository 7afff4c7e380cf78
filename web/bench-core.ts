/**
 * The kernel benchmark's measurements, with no page in them (the bench worker
 * runs them; `window.playground` exposes them too): matmul and
 * convolution-forward GFLOP/s on a backend, each kernel also checked against
 * its TypeScript reference twin; and one small-cnn training step's time, by
 * which the page picks its backend.
 */
import { buildModel, getBackend, modelConfig, Random, referenceBackend, setBackend, SGD, Tensor, trainStep, type BackendName, type KernelBackend } from '../src/browser.js';
import { type Conv2dShape, type MatmulShape, convOutputSize, relativeError } from '../src/internals.js';

const conv = (batch: number, inChannels: number, size: number, outChannels: number, stride: number, padding: number): Conv2dShape => {
  const out = convOutputSize(size, 3, stride, padding);
  return { batch, inChannels, height: size, width: size, outChannels, kernelHeight: 3, kernelWidth: 3, stride, padding, outHeight: out, outWidth: out };
};
/** The benchmark's shapes (a ResNet layer at batch 32) and an odd shape for the correctness check. */
const BENCH_MATMUL: MatmulShape = { m: 512, k: 512, n: 512, transA: false, transB: false };
const BENCH_CONV = conv(32, 16, 28, 32, 1, 1);
const ODD_MATMUL: MatmulShape = { m: 17, k: 33, n: 9, transA: true, transB: false };
const ODD_CONV = conv(3, 5, 9, 7, 2, 1);

/** GFLOP/s, or the largest relative error against the reference, of each benchmarked kernel. */
export interface KernelNumbers {
  matmul: number;
  conv2dForward: number;
}

function values(size: number, seed: number): Float32Array<ArrayBuffer> {
  const random = new Random(seed);
  return Float32Array.from({ length: size }, () => random.normal());
}

/** Runs `fn` with `name` as the backend, then goes back to the backend that was active. */
function withBackend<T>(name: BackendName, fn: (backend: KernelBackend) => T): T {
  const previous = getBackend().name;
  try {
    return fn(setBackend(name));
  } finally {
    setBackend(previous);
  }
}

/** A kernel's result against the reference twin's, on an odd shape and the benchmark shape. */
export function kernelCheck(name: BackendName): KernelNumbers {
  return withBackend(name, (backend) => {
    let matmul = 0;
    let conv2dForward = 0;
    for (const shape of [ODD_MATMUL, BENCH_MATMUL]) {
      const a = values(shape.m * shape.k, 1);
      const b = values(shape.k * shape.n, 2);
      matmul = Math.max(matmul, relativeError(backend.matmul(a, b, shape), referenceBackend.matmul(a, b, shape)));
    }
    for (const shape of [ODD_CONV, BENCH_CONV]) {
      const x = values(shape.batch * shape.inChannels * shape.height * shape.width, 3);
      const w = values(shape.outChannels * shape.inChannels * 9, 4);
      conv2dForward = Math.max(conv2dForward, relativeError(backend.conv2dForward(x, w, shape), referenceBackend.conv2dForward(x, w, shape)));
    }
    return { matmul, conv2dForward };
  });
}

/** Best of `repeats` timings of `fn`, in seconds, after one warm-up call. */
function bestSeconds(fn: () => unknown, repeats = 3): number {
  fn();
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    fn();
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return best;
}

/** GFLOP/s of matmul 512³ and a conv forward (batch 32, 16→32, 28×28) on backend `name`. */
export function kernelSpeed(name: BackendName): KernelNumbers {
  return withBackend(name, (backend) => {
    const { m, k, n } = BENCH_MATMUL;
    const a = values(m * k, 1);
    const b = values(k * n, 2);
    const matmulSeconds = bestSeconds(() => backend.matmul(a, b, BENCH_MATMUL));
    const s = BENCH_CONV;
    const x = values(s.batch * s.inChannels * s.height * s.width, 3);
    const w = values(s.outChannels * s.inChannels * 9, 4);
    const convSeconds = bestSeconds(() => backend.conv2dForward(x, w, s));
    const convFlops = 2 * s.batch * s.outChannels * s.outHeight * s.outWidth * s.inChannels * 9;
    return { matmul: (2 * m * k * n) / matmulSeconds / 1e9, conv2dForward: convFlops / convSeconds / 1e9 };
  });
}

/** The batch a timed training step trains on: 64 digits, [64, 1, 28, 28], with their labels. */
export interface StepBatch {
  images: Float32Array;
  labels: Uint8Array;
}

/** Milliseconds of one small-cnn training step (batch 64) on `name`, after one step that compiles its kernels. */
export function timeOneStep(name: BackendName, batch: StepBatch): number {
  return withBackend(name, () => {
    const model = buildModel(modelConfig('small-cnn', 'bn'), 0);
    const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 0 });
    const images = new Tensor(batch.images, [batch.labels.length, 1, 28, 28]);
    trainStep(model, optimizer, images, batch.labels, { epoch: 0, step: 1 });
    const started = performance.now();
    trainStep(model, optimizer, images, batch.labels, { epoch: 0, step: 2 });
    return performance.now() - started;
  });
}
