/** A solution to exercise 3 (lessons/exercises/03-gpujs-matmul.ts). */
import { GPU, type IKernelFunctionThis } from 'gpu.js';

export function matmulTransposedB(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array[] {
  const gpu = new GPU({ mode: 'cpu' });
  const kernel = gpu.createKernel(function (this: IKernelFunctionThis<{ k: number }>, a: number[], b: number[]) {
    const i = this.thread.y;
    const j = this.thread.x;
    let sum = 0;
    for (let p = 0; p < this.constants.k; p++) {
      sum += (a[i * this.constants.k + p] as number) * (b[j * this.constants.k + p] as number); // Bᵀ(p, j) = B(j, p)
    }
    return sum;
  }, { output: [n, m], constants: { k } });
  const rows = kernel(Array.from(a), Array.from(b)) as Float32Array[];
  gpu.destroy();
  return rows;
}
