/**
 * One index map serves broadcasting, reduction and permutation alike.
 *
 * `stridedIndex(shape, strides)` lists, for every position of `shape` in row-major
 * order, the offset Σ iₖ · stridesₖ into some source buffer. With the strides of a
 * broadcast operand (0 along broadcast axes) it says which element each output
 * reads; with the strides of a reduced shape it says which output each input
 * element adds into; with permuted strides it transposes.
 */
import { allocate, Tensor } from '../tensor/tensor.js';
import { broadcastStrides, sizeOf, type Shape } from '../tensor/shape.js';

export function stridedIndex(shape: Shape, strides: readonly number[]): Int32Array {
  const size = sizeOf(shape);
  const index = new Int32Array(size);
  const rank = shape.length;
  if (rank === 0 || size === 0) return index;
  const lastDim = shape[rank - 1] as number;
  const lastStride = strides[rank - 1] as number;
  const counter = new Array<number>(rank).fill(0);
  let base = 0;
  for (let row = 0; row < size; row += lastDim) {
    for (let j = 0; j < lastDim; j++) index[row + j] = base + j * lastStride;
    // Advance the odometer over every axis but the last.
    for (let axis = rank - 2; axis >= 0; axis--) {
      counter[axis] = (counter[axis] as number) + 1;
      base += strides[axis] as number;
      if ((counter[axis] as number) < (shape[axis] as number)) break;
      base -= (counter[axis] as number) * (strides[axis] as number);
      counter[axis] = 0;
    }
  }
  return index;
}

/** For each position of `to`, the offset of the element of a `from`-shaped buffer it reads. */
export function broadcastIndex(from: Shape, to: Shape): Int32Array {
  return stridedIndex(to, broadcastStrides(from, to));
}

/**
 * Sums `grad` down to `shape` — the backward of broadcasting: every element that
 * was read k times during the forward pass receives the sum of those k gradients.
 * (`shape` must broadcast to `grad.shape`; leading missing axes are summed away.)
 */
export function sumToShape(grad: Tensor, shape: Shape): Tensor {
  if (grad.shape.length === shape.length && grad.shape.every((dim, i) => dim === shape[i])) return grad;
  const target = allocate(grad.dtype, sizeOf(shape));
  const index = broadcastIndex(shape, grad.shape);
  for (let i = 0; i < grad.size; i++) {
    const t = index[i] as number;
    target[t] = (target[t] as number) + (grad.data[i] as number);
  }
  return new Tensor(target, shape);
}
