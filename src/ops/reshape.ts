/**
 * Ops that move values without changing them: reshape, flatten, permute,
 * transpose, broadcastTo. Their backward passes move the gradient back.
 */
import { record } from '../tensor/autograd.js';
import { formatShape, normalizeAxis, sizeOf, stridesOf, type Shape } from '../tensor/shape.js';
import { allocate, Tensor } from '../tensor/tensor.js';
import { broadcastIndex, stridedIndex, sumToShape } from './strided.js';

/** Resolves one −1 in `shape` from the element count. */
function resolveShape(size: number, shape: Shape, from: Shape): number[] {
  const inferred = shape.filter((dim) => dim === -1).length;
  if (inferred > 1) throw new Error(`reshape: only one dimension can be −1, got ${formatShape(shape)}`);
  const known = shape.reduce((product, dim) => (dim === -1 ? product : product * dim), 1);
  const resolved = shape.map((dim) => (dim === -1 ? (known === 0 ? 0 : size / known) : dim));
  if (sizeOf(resolved) !== size || resolved.some((dim) => !Number.isInteger(dim) || dim < 0)) {
    throw new Error(`reshape: cannot reshape ${formatShape(from)} (${size} values) to ${formatShape(shape)}`);
  }
  return resolved;
}

/** The same values, row-major, in a new shape of the same size; the gradient is reshaped back. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const target = resolveShape(x.size, shape, x.shape);
  // Contiguous row-major data needs no copy: the new tensor shares x's buffer.
  // y = reshape(x)  ⇒  ∂L/∂x = reshape(∂L/∂y, shape of x)
  return record('reshape', new Tensor(x.data, target), [x], (gradOut) => [new Tensor(gradOut.data, x.shape)]);
}

/** Keeps axes before `startAxis` and merges the rest: [N, C, H, W] → [N, C·H·W]. */
export function flatten(x: Tensor, startAxis = 1): Tensor {
  const start = normalizeAxis(startAxis, x.rank);
  return reshape(x, [...x.shape.slice(0, start), sizeOf(x.shape.slice(start))]);
}

function permuteValues(x: Tensor, axes: readonly number[]): Tensor {
  const sourceStrides = stridesOf(x.shape);
  const outShape = axes.map((axis) => x.shape[axis] as number);
  // Output axis k walks input axis axes[k], so it steps by that axis's stride.
  const index = stridedIndex(outShape, axes.map((axis) => sourceStrides[axis] as number));
  const out = allocate(x.dtype, x.size);
  for (let i = 0; i < out.length; i++) out[i] = x.data[index[i] as number] as number;
  return new Tensor(out, outShape);
}

/** Reorders axes: output axis k is input axis `axes[k]`. */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  const normalized = axes.map((axis) => normalizeAxis(axis, x.rank));
  if (normalized.length !== x.rank || new Set(normalized).size !== x.rank) {
    throw new Error(`permute: ${formatShape(axes)} is not a permutation of the ${x.rank} axes of a tensor of shape ${formatShape(x.shape)}`);
  }
  const inverse = new Array<number>(x.rank);
  normalized.forEach((axis, k) => (inverse[axis] = k));
  // y = permute(x, σ)  ⇒  ∂L/∂x = permute(∂L/∂y, σ⁻¹)
  return record('permute', permuteValues(x, normalized), [x], (gradOut) => [permuteValues(gradOut, inverse)]);
}

/** Swaps two axes (by default the last two: a matrix transpose). */
export function transpose(x: Tensor, axisA = -2, axisB = -1): Tensor {
  const axes = x.shape.map((_, i) => i);
  const a = normalizeAxis(axisA, x.rank);
  const b = normalizeAxis(axisB, x.rank);
  axes[a] = b;
  axes[b] = a;
  return permute(x, axes);
}

/** Repeats x along its size-1 and missing leading axes to `shape`; the backward sums the copies (sumToShape). */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  const index = broadcastIndex(x.shape, shape);
  const out = allocate(x.dtype, index.length);
  for (let i = 0; i < out.length; i++) out[i] = x.data[index[i] as number] as number;
  // y = broadcast(x)  ⇒  ∂L/∂x = ∂L/∂y summed over the broadcast axes
  return record('broadcastTo', new Tensor(out, shape), [x], (gradOut) => [sumToShape(gradOut, x.shape)]);
}
