/**
 * Reductions over axes: sum, mean, max, min, with `keepDim`.
 *
 * Each input element x_i belongs to one output group o(i) (the positions that
 * differ only along the reduced axes). `groupIndex` lists o(i) for every i.
 */
import { record } from '../tensor/autograd.js';
import { normalizeAxis, sizeOf, type Shape } from '../tensor/shape.js';
import { allocate, Tensor } from '../tensor/tensor.js';
import { broadcastIndex } from './strided.js';

interface Reduction {
  /** The input's shape with every reduced axis set to 1. */
  keptShape: number[];
  /** The result's shape: `keptShape`, or without the reduced axes unless keepDim. */
  outShape: number[];
  /** How many input elements each output combines. */
  groupSize: number;
  /** groupIndex[i] = the output element that input element i contributes to. */
  groupIndex: Int32Array;
}

function planReduction(shape: Shape, axes: number | readonly number[] | undefined, keepDim: boolean): Reduction {
  const rank = shape.length;
  const axisList = axes === undefined ? shape.map((_, i) => i) : (typeof axes === 'number' ? [axes] : [...axes]);
  const reduced = new Set(axisList.map((axis) => normalizeAxis(axis, rank)));
  const keptShape = shape.map((dim, axis) => (reduced.has(axis) ? 1 : dim));
  const outShape = keepDim ? keptShape : shape.filter((_, axis) => !reduced.has(axis));
  const groupSize = [...reduced].reduce((product, axis) => product * (shape[axis] as number), 1);
  return { keptShape, outShape, groupSize, groupIndex: broadcastIndex(keptShape, shape) };
}

/** out[o] = Σ_{i∈o} x_i */
function addIntoGroups(x: Tensor, plan: Reduction, out: Float32Array | Float64Array): void {
  for (let i = 0; i < x.size; i++) {
    const o = plan.groupIndex[i] as number;
    out[o] = (out[o] as number) + (x.data[i] as number);
  }
}

/** ∂L/∂y, one value per group, read back at every input position of that group. */
function spreadToGroups(gradOut: Tensor, plan: Reduction, inputShape: Shape, scale: number): Tensor {
  const grad = allocate(gradOut.dtype, plan.groupIndex.length);
  const g = gradOut.data;
  for (let i = 0; i < grad.length; i++) grad[i] = (g[plan.groupIndex[i] as number] as number) * scale;
  return new Tensor(grad, inputShape);
}

/** y_o = Σ_{i∈o} x_i over `axes` (all when omitted); ∂L/∂x_i = ∂L/∂y_o(i). */
export function sum(x: Tensor, axes?: number | readonly number[], keepDim = false): Tensor {
  const plan = planReduction(x.shape, axes, keepDim);
  const out = allocate(x.dtype, sizeOf(plan.outShape));
  addIntoGroups(x, plan, out);
  // y_o = Σ_{i∈o} x_i  ⇒  ∂L/∂x_i = ∂L/∂y_o(i)
  return record('sum', new Tensor(out, plan.outShape), [x], (gradOut) => [spreadToGroups(gradOut, plan, x.shape, 1)]);
}

/** y_o = (1/M) Σ_{i∈o} x_i over `axes`, M the group size; ∂L/∂x_i = ∂L/∂y_o(i) / M. */
export function mean(x: Tensor, axes?: number | readonly number[], keepDim = false): Tensor {
  const plan = planReduction(x.shape, axes, keepDim);
  if (plan.groupSize === 0) throw new Error(`mean: cannot average over an empty axis (shape [${x.shape.join(', ')}])`);
  const out = allocate(x.dtype, sizeOf(plan.outShape));
  addIntoGroups(x, plan, out);
  for (let o = 0; o < out.length; o++) out[o] = (out[o] as number) / plan.groupSize;
  // y_o = (1/M) Σ_{i∈o} x_i  ⇒  ∂L/∂x_i = ∂L/∂y_o(i) / M
  return record('mean', new Tensor(out, plan.outShape), [x], (gradOut) => [spreadToGroups(gradOut, plan, x.shape, 1 / plan.groupSize)]);
}

/**
 * max and min. Tie rule: when several elements of a group share the extreme
 * value, the gradient is split equally among them (each gets ∂L/∂y / k for k
 * ties) — the average of the one-hot subgradients, and what PyTorch's
 * `amax`/`amin` do. With no tie, the single extreme element gets all of it.
 */
function extreme(op: 'max' | 'min', x: Tensor, axes: number | readonly number[] | undefined, keepDim: boolean): Tensor {
  const plan = planReduction(x.shape, axes, keepDim);
  if (plan.groupSize === 0) throw new Error(`${op}: cannot reduce over an empty axis (shape [${x.shape.join(', ')}])`);
  const out = allocate(x.dtype, sizeOf(plan.outShape)).fill(op === 'max' ? -Infinity : Infinity);
  const better = op === 'max' ? (v: number, best: number) => v > best : (v: number, best: number) => v < best;
  for (let i = 0; i < x.size; i++) {
    const o = plan.groupIndex[i] as number;
    const value = x.data[i] as number;
    if (better(value, out[o] as number) || Number.isNaN(value)) out[o] = value;
  }
  // y_o = max_{i∈o} x_i  ⇒  ∂L/∂x_i = ∂L/∂y_o · [x_i = y_o] / #{j ∈ o : x_j = y_o}
  return record(op, new Tensor(out, plan.outShape), [x], (gradOut) => {
    const ties = new Float64Array(out.length);
    for (let i = 0; i < x.size; i++) {
      const o = plan.groupIndex[i] as number;
      if (x.data[i] === out[o]) ties[o] = (ties[o] as number) + 1;
    }
    const grad = allocate(x.dtype, x.size);
    for (let i = 0; i < x.size; i++) {
      const o = plan.groupIndex[i] as number;
      if (x.data[i] === out[o]) grad[i] = (gradOut.data[o] as number) / (ties[o] as number);
    }
    return [new Tensor(grad, x.shape)];
  });
}

/** y_o = max_{i∈o} x_i over `axes`; the gradient goes to the maxima, split equally among ties. */
export function max(x: Tensor, axes?: number | readonly number[], keepDim = false): Tensor {
  return extreme('max', x, axes, keepDim);
}

/** y_o = min_{i∈o} x_i over `axes`; the gradient goes to the minima, split equally among ties. */
export function min(x: Tensor, axes?: number | readonly number[], keepDim = false): Tensor {
  return extreme('min', x, axes, keepDim);
}

/** The index of the largest of values[start … start + count), counted from start (the first one on ties; not differentiable). */
export function argmaxOf(values: ArrayLike<number>, start: number, count: number): number {
  let best = 0;
  for (let k = 1; k < count; k++) if ((values[start + k] as number) > (values[start + best] as number)) best = k;
  return best;
}

/** For each row of a [rows, classes] tensor (logits), the class with the largest value: the prediction. */
export function argmaxRows(x: Tensor): number[] {
  if (x.rank !== 2) throw new Error(`argmaxRows: expects [rows, classes], got [${x.shape.join(', ')}]`);
  const [rows, classes] = x.shape as [number, number];
  return Array.from({ length: rows }, (_, row) => argmaxOf(x.data, row * classes, classes));
}
