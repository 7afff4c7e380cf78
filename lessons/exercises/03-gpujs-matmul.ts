/**
 * Exercise 3: a gpu.js kernel for C = A · Bᵀ, where A is [m×k] and B is stored
 * [n×k] (row-major, flat). This is the product a Linear layer's backward pass
 * needs (∂L/∂X = ∂L/∂Y · Wᵀ).
 *
 * Fill in the kernel body: one thread per C[i, j], with i = this.thread.y and
 * j = this.thread.x. Index the flat arrays yourself: A(i, p) = a[i·k + p],
 * and Bᵀ(p, j) = B(j, p) = b[?].
 *
 * Check: npm run lesson -- 3 --check
 */
import { GPU, type IKernelFunctionThis } from 'gpu.js';

export function matmulTransposedB(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array[] {
  const gpu = new GPU({ mode: 'cpu' });
  const kernel = gpu.createKernel(function (this: IKernelFunctionThis<{ k: number }>, a: number[], b: number[]) {
    // TODO: compute and return C[i, j]
    return 0;
  }, { output: [n, m], constants: { k } });
  const rows = kernel(Array.from(a), Array.from(b)) as Float32Array[];
  gpu.destroy();
  return rows;
}
