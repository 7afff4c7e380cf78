/**
 * Matrix multiply, the kernel behind Linear layers and their backward pass:
 *   forward   Y = X · W        (transA = false, transB = false)
 *   ∂L/∂X    = ∂L/∂Y · Wᵀ     (transB = true)
 *   ∂L/∂W    = Xᵀ · ∂L/∂Y     (transA = true)
 *
 * C[i, j] = Σ_p A(i, p) · B(p, j), where A(i, p) = a[i·K + p] (or a[p·M + i]
 * when A is stored transposed) and B(p, j) = b[p·N + j] (or b[j·K + p]).
 */
import type { FloatArray, MatmulShape } from './shapes.js';

/** The plain TypeScript twin: the oracle the gpu.js kernel is tested against. */
export function matmulReference(a: FloatArray, b: FloatArray, shape: MatmulShape, out: FloatArray): FloatArray {
  const { m, k, n, transA, transB } = shape;
  // Element strides of A(i, ·) along p, and of B(·, j) along p and j.
  const aRow = transA ? 1 : k;
  const aStep = transA ? m : 1;
  const bStep = transB ? 1 : n;
  const bCol = transB ? k : 1;
  out.fill(0);
  // i-p-j order: the innermost loop walks a row of C (and of B, when not transposed).
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aValue = a[i * aRow + p * aStep] as number;
      if (aValue === 0) continue;
      const bBase = p * bStep;
      const cBase = i * n;
      for (let j = 0; j < n; j++) out[cBase + j] = (out[cBase + j] as number) + aValue * (b[bBase + j * bCol] as number);
    }
  }
  return out;
}

/**
 * The gpu.js kernel, generated per shape. Thread mapping: output [N, M], so
 * `thread.x` = j (column of C, contiguous in memory) and `thread.y` = i (row).
 * Each thread computes one C[i, j] with a K-long loop.
 */
export function matmulKernelSource(shape: MatmulShape): string {
  const { m, k, n, transA, transB } = shape;
  const aAt = transA ? `a[p * ${m} + i]` : `a[i * ${k} + p]`;
  const bAt = transB ? `b[j * ${k} + p]` : `b[p * ${n} + j]`;
  return `function (a, b) {
  const i = this.thread.y;
  const j = this.thread.x;
  let sum = 0;
  for (let p = 0; p < ${k}; p++) {
    sum += ${aAt} * ${bAt};
  }
  return sum;
}`;
}
