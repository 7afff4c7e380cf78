/**
 * Kernel workloads for `npm run bench` (see main.ts): matmul 512² and 1024²,
 * and the three convolution kernels at the shape (batch 128, 16→32
 * channels, 3×3, stride 1, padding 1, 28×28). Throughput is GFLOP/s =
 * 2 · multiply-adds / seconds, padding counted as dense.
 */
import type { KernelBackend } from '../src/index.js';
import { convOutputSize, type Conv2dShape, type MatmulShape } from '../src/kernels/shapes.js';
import { Random } from '../src/random.js';

export interface KernelWorkload {
  name: string;
  flops: number;
  run: (backend: KernelBackend) => unknown;
}

function randomArray(size: number, random: Random): Float32Array {
  return Float32Array.from({ length: size }, () => random.normal());
}

export const BENCH_CONV: Conv2dShape = {
  batch: 128, inChannels: 16, height: 28, width: 28, outChannels: 32, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1,
  outHeight: convOutputSize(28, 3, 1, 1), outWidth: convOutputSize(28, 3, 1, 1),
};

export function kernelWorkloads(): KernelWorkload[] {
  const random = new Random(0);
  const matmul = (size: number): KernelWorkload => {
    const shape: MatmulShape = { m: size, k: size, n: size, transA: false, transB: false };
    const a = randomArray(size * size, random);
    const b = randomArray(size * size, random);
    return { name: `matmul ${size}²`, flops: 2 * size ** 3, run: (backend) => backend.matmul(a, b, shape) };
  };
  const conv = BENCH_CONV;
  const convFlops = 2 * conv.batch * conv.outChannels * conv.outHeight * conv.outWidth * conv.inChannels * 9;
  const x = randomArray(conv.batch * conv.inChannels * 28 * 28, random);
  const w = randomArray(conv.outChannels * conv.inChannels * 9, random);
  const g = randomArray(conv.batch * conv.outChannels * 28 * 28, random);
  const label = 'conv 128×16→32 28² 3×3';
  return [
    matmul(512),
    matmul(1024),
    { name: `${label} forward`, flops: convFlops, run: (backend) => backend.conv2dForward(x, w, conv) },
    { name: `${label} grad-input`, flops: convFlops, run: (backend) => backend.conv2dGradInput(g, w, conv) },
    { name: `${label} grad-weight`, flops: convFlops, run: (backend) => backend.conv2dGradWeight(x, g, conv) },
  ];
}
