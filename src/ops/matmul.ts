/**
 * Matrix product of two 2-D tensors, computed by the active kernel backend
 * (src/kernels/matmul.ts holds the kernel and its reference twin).
 */
import { kernelsFor } from '../kernels/backend.js';
import { record } from '../tensor/autograd.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * C = A·B for A [m×k] and B [k×n], on the active kernel backend;
 * ∂L/∂A = ∂L/∂C · Bᵀ and ∂L/∂B = Aᵀ · ∂L/∂C.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank !== 2 || b.rank !== 2) {
    throw new Error(`matmul: expects two 2-D tensors, got shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  const [m, k] = a.shape as [number, number];
  const [kB, n] = b.shape as [number, number];
  if (k !== kB) {
    throw new Error(`matmul: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} do not line up (${k} columns vs ${kB} rows)`);
  }
  if (a.dtype !== b.dtype) throw new Error(`matmul: dtype mismatch (${a.dtype} vs ${b.dtype})`);
  const kernels = kernelsFor(a.dtype);
  const out = new Tensor(kernels.matmul(a.data, b.data, { m, k, n, transA: false, transB: false }), [m, n]);
  // C = A·B  ⇒  ∂L/∂A = ∂L/∂C · Bᵀ   ([m×n]·[n×k]),
  //             ∂L/∂B = Aᵀ · ∂L/∂C   ([k×m]·[m×n])
  return record('matmul', out, [a, b], (gradOut, needs) => [
    needs[0] ? new Tensor(kernels.matmul(gradOut.data, b.data, { m, k: n, n: k, transA: false, transB: true }), [m, k]) : null,
    needs[1] ? new Tensor(kernels.matmul(a.data, gradOut.data, { m: k, k: m, n, transA: true, transB: false }), [k, n]) : null,
  ]);
}
