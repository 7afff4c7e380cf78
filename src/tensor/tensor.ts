/**
 * The Tensor: a flat, contiguous, row-major typed array plus a shape, and the
 * few fields reverse-mode autograd needs (`requiresGrad`, `grad`, `gradFn`).
 *
 * Element (i₀, …, iₖ) of a tensor with shape [d₀, …, dₖ] is `data[i₀·s₀ + … + iₖ·sₖ]`
 * with strides sⱼ = dⱼ₊₁ · … · dₖ. Images are NCHW: [batch, channels, height, width].
 *
 * The methods are thin: each one calls the op of the same name in `src/ops/`,
 * where the forward computation and its derivative sit side by side.
 *
 * The one import cycle in src/: this file imports the ops (for the methods)
 * and every op imports `Tensor` back. It is safe because neither side uses the
 * other while its module loads, only inside functions, which run after both
 * have loaded. Anything else that imports upwards or in a circle fails
 * test/layers.test.ts.
 */
import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';
import { float32Buffer, float32BufferToOverwrite } from '../buffer-pool.js';
import { defaultRandom, type Random } from '../random.js';
import { runBackward, type BackwardOptions, type GraphNode } from './autograd.js';
import { assertValidShape, formatShape, sizeOf, stridesOf, type Shape } from './shape.js';
import * as binary from '../ops/binary.js';
import * as unary from '../ops/unary.js';
import * as reduce from '../ops/reduce.js';
import * as reshapeOps from '../ops/reshape.js';
import { matmul } from '../ops/matmul.js';

/** float32 for everything that runs; float64 for gradient checks and exact references. */
export type DType = 'float32' | 'float64';
/** The buffer types a tensor can hold: float32 for everything that runs, float64 for gradient checks. */
export type TypedArray = Float32Array | Float64Array;

/** Options of the creation helpers (`zeros`, `full`, `fromArray`, …). */
export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

/** A zero-filled buffer; float32 ones come from the step's pool when a loop reuses buffers (buffer-pool.ts). */
export function allocate(dtype: DType, size: number): TypedArray {
  return dtype === 'float64' ? new Float64Array(size) : float32Buffer(size);
}

/** {@link allocate} for a caller that writes every value before reading any: a reused float32 buffer is not zero-filled first. */
export function allocateToOverwrite(dtype: DType, size: number): TypedArray {
  return dtype === 'float64' ? new Float64Array(size) : float32BufferToOverwrite(size);
}

export function dtypeOf(data: TypedArray): DType {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

/**
 * An n-dimensional array: a flat row-major `data` buffer, a `shape`, and the autograd fields
 * `requiresGrad`, `grad` and `gradFn`. Methods call the op of the same name in `src/ops/`.
 * Element (i₀, …, iₖ) is `data[Σ iⱼ·sⱼ]` with strides sⱼ = dⱼ₊₁ · … · dₖ.
 */
export class Tensor {
  /** The values, flat and row-major. */
  data: TypedArray;
  readonly shape: Shape;
  readonly dtype: DType;
  /** ∂L/∂this after `backward()`, for leaves that require grad (and tensors that called `retainGrad()`). */
  grad: Tensor | null = null;
  /** Whether gradients flow to (and through) this tensor. */
  requiresGrad: boolean;
  /** The op that produced this tensor, when the graph was recorded; `null` for leaves. */
  gradFn: GraphNode | null = null;
  /** Set by `retainGrad()`: a non-leaf that keeps its gradient too. */
  retainsGrad = false;

  constructor(data: TypedArray, shape: Shape, requiresGrad = false) {
    assertValidShape(shape);
    if (data.length !== sizeOf(shape)) {
      throw new Error(`Tensor: ${data.length} values cannot fill shape ${formatShape(shape)} (${sizeOf(shape)} needed)`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtypeOf(data);
    this.requiresGrad = requiresGrad;
  }

  /** Number of elements, Π shape. */
  get size(): number {
    return this.data.length;
  }

  /** Number of axes, `shape.length`. */
  get rank(): number {
    return this.shape.length;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item(): tensor of shape ${formatShape(this.shape)} has ${this.size} values, not 1`);
    return this.data[0] as number;
  }

  /** The values as nested arrays (a number for a rank-0 tensor). */
  toArray(): unknown {
    const strides = stridesOf(this.shape);
    const build = (axis: number, offset: number): unknown => {
      if (axis === this.rank) return this.data[offset];
      const dim = this.shape[axis] as number;
      const stride = strides[axis] as number;
      return Array.from({ length: dim }, (_, i) => build(axis + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** Flat values as a plain array. */
  toList(): number[] {
    return Array.from(this.data);
  }

  /** A tensor that shares these values but is cut off from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, false);
  }

  /** A copy of the values, cut off from the graph. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape, false);
  }

  /** The same values in another dtype (a copy, cut off from the graph). */
  to(dtype: DType): Tensor {
    const data = allocate(dtype, this.size);
    data.set(this.data);
    return new Tensor(data, this.shape, false);
  }

  /** Marks this tensor as a leaf whose gradient is wanted, and returns it. */
  requireGrad(requiresGrad = true): this {
    if (this.gradFn !== null) throw new Error('requireGrad(): only leaves can be marked; call detach() first');
    this.requiresGrad = requiresGrad;
    return this;
  }

  /** Keeps this non-leaf tensor's gradient after `backward()`. */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /**
   * Back-propagates from this tensor. Without an argument it must hold one value
   * (a loss); otherwise `gradient` is ∂L/∂this.
   */
  backward(gradient?: Tensor, options?: BackwardOptions): void {
    if (gradient === undefined && this.size !== 1) {
      throw new Error(`backward(): a tensor of shape ${formatShape(this.shape)} needs an explicit gradient; only single-value tensors (losses) default to 1`);
    }
    runBackward(this, gradient ?? full(this.shape, 1, { dtype: this.dtype }), options);
  }

  /** Forgets the accumulated gradient. */
  zeroGrad(): void {
    this.grad = null;
  }

  /** An `ndarray` view over the same memory (no copy). */
  toNdarray(): NdArray<TypedArray> {
    return ndarray(this.data, [...this.shape]);
  }

  /** Copies any `ndarray` view (strided, offset) into a new contiguous tensor. */
  static fromNdarray(view: NdArray<TypedArray | number[]>, options: TensorOptions = {}): Tensor {
    const shape = view.shape.slice();
    const result = zeros(shape, options);
    const index = new Array<number>(shape.length).fill(0);
    for (let flat = 0; flat < result.size; flat++) {
      result.data[flat] = view.get(...index);
      for (let axis = shape.length - 1; axis >= 0; axis--) {
        index[axis] = (index[axis] as number) + 1;
        if ((index[axis] as number) < (shape[axis] as number)) break;
        index[axis] = 0;
      }
    }
    return result;
  }

  /** The values printed like PyTorch, with shape, dtype and the op that made the tensor. */
  toString(): string {
    return formatTensor(this);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return formatTensor(this);
  }

  // ---- ops (each defined, with its backward, in src/ops/) ----
  /** Element-wise this + other, with broadcasting (the function `add`). */
  add(other: Tensor | number): Tensor { return binary.add(this, other); }
  /** relu(this + other) for two tensors of one shape, in one pass (`addRelu`): the end of a residual block. */
  addRelu(other: Tensor): Tensor { return binary.addRelu(this, other); }
  /** Element-wise this − other, with broadcasting (the function `sub`). */
  sub(other: Tensor | number): Tensor { return binary.sub(this, other); }
  /** Element-wise this · other, with broadcasting (the function `mul`). */
  mul(other: Tensor | number): Tensor { return binary.mul(this, other); }
  /** Element-wise this / other, with broadcasting (the function `div`). */
  div(other: Tensor | number): Tensor { return binary.div(this, other); }
  /** −x element-wise (the function `neg`). */
  neg(): Tensor { return unary.neg(this); }
  /** eˣ element-wise (the function `exp`). */
  exp(): Tensor { return unary.exp(this); }
  /** ln x element-wise (the function `log`). */
  log(): Tensor { return unary.log(this); }
  /** √x element-wise (the function `sqrt`). */
  sqrt(): Tensor { return unary.sqrt(this); }
  /** x^exponent element-wise (the function `pow`). */
  pow(exponent: number): Tensor { return unary.pow(this, exponent); }
  /** |x| element-wise (the function `abs`). */
  abs(): Tensor { return unary.abs(this); }
  /** sign(x) ∈ {−1, 0, 1} element-wise (zero gradient) (the function `sign`). */
  sign(): Tensor { return unary.sign(this); }
  /** min(max(x, min), max) element-wise (the function `clamp`). */
  clamp(min: number, max: number): Tensor { return unary.clamp(this, min, max); }
  /** max(x, 0) element-wise (the function `relu`). */
  relu(): Tensor { return unary.relu(this); }
  /** tanh x element-wise (the function `tanh`). */
  tanh(): Tensor { return unary.tanh(this); }
  /** Σ over `axes` (all when omitted), keeping them as size 1 with `keepDim` (the function `sum`). */
  sum(axes?: number | readonly number[], keepDim = false): Tensor { return reduce.sum(this, axes, keepDim); }
  /** The mean over `axes` (all when omitted), keeping them as size 1 with `keepDim` (the function `mean`). */
  mean(axes?: number | readonly number[], keepDim = false): Tensor { return reduce.mean(this, axes, keepDim); }
  /** The maximum over `axes` (all when omitted); ties share the gradient (the function `max`). */
  max(axes?: number | readonly number[], keepDim = false): Tensor { return reduce.max(this, axes, keepDim); }
  /** The minimum over `axes` (all when omitted); ties share the gradient (the function `min`). */
  min(axes?: number | readonly number[], keepDim = false): Tensor { return reduce.min(this, axes, keepDim); }
  /** The same values in a new shape of equal size (the function `reshape`). */
  reshape(shape: Shape): Tensor { return reshapeOps.reshape(this, shape); }
  /** Reorders the axes (a copy): result axis i is input axis `axes[i]` (the function `permute`). */
  permute(axes: readonly number[]): Tensor { return reshapeOps.permute(this, axes); }
  /** Swaps two axes (default: the last two) (the function `transpose`). */
  transpose(axisA = -2, axisB = -1): Tensor { return reshapeOps.transpose(this, axisA, axisB); }
  /** Merges the axes from `startAxis` on into one: [N, C, H, W] → [N, C·H·W] by default (the function `flatten`). */
  flatten(startAxis = 1): Tensor { return reshapeOps.flatten(this, startAxis); }
  /** Repeats size-1 (and missing leading) axes to reach `shape` (the function `broadcastTo`). */
  broadcastTo(shape: Shape): Tensor { return reshapeOps.broadcastTo(this, shape); }
  /** The matrix product this · other of two 2-D tensors (the function `matmul`). */
  matmul(other: Tensor): Tensor { return matmul(this, other); }
}

// ---- creation helpers ----

/** A tensor of `shape` filled with 0. */
export function zeros(shape: Shape, options: TensorOptions = {}): Tensor {
  return new Tensor(allocate(options.dtype ?? 'float32', sizeOf(shape)), shape, options.requiresGrad ?? false);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: Shape, value: number, options: TensorOptions = {}): Tensor {
  const result = zeros(shape, options);
  result.data.fill(value);
  return result;
}

/** A tensor of `shape` filled with 1. */
export function ones(shape: Shape, options: TensorOptions = {}): Tensor {
  return full(shape, 1, options);
}

/** A rank-0 tensor holding `value`. */
export function scalar(value: number, options: TensorOptions = {}): Tensor {
  return full([], value, options);
}

/** A number, or nested arrays of numbers (`[[1, 2], [3, 4]]`). */
export type Nested = number | readonly Nested[];

function inferShape(values: Nested): number[] {
  const shape: number[] = [];
  let level: Nested = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = (level as readonly Nested[])[0] ?? 0;
  }
  return shape;
}

/**
 * A tensor from nested arrays (`[[1, 2], [3, 4]]`), or from flat values with an
 * explicit shape (`fromArray([1, 2, 3, 4], [2, 2])`).
 */
export function fromArray(values: Nested | ArrayLike<number>, shape?: Shape, options: TensorOptions = {}): Tensor {
  const isFlat = ArrayBuffer.isView(values) || (shape !== undefined && Array.isArray(values) && !Array.isArray(values[0]));
  if (isFlat) {
    const flat = values as ArrayLike<number>;
    const result = zeros(shape ?? [flat.length], options);
    if (flat.length !== result.size) {
      throw new Error(`fromArray: ${flat.length} values cannot fill shape ${formatShape(result.shape)} (${result.size} needed)`);
    }
    result.data.set(Array.from(flat));
    return result;
  }
  const nested = values as Nested;
  const inferred = inferShape(nested);
  const flat = Array.isArray(nested) ? (nested as unknown[]).flat(Infinity as 1) as number[] : [nested as number];
  if (flat.length !== sizeOf(inferred)) throw new Error(`fromArray: ragged nested array (expected shape ${formatShape(inferred)})`);
  return fromArray(flat, shape ?? inferred, options);
}

/** Options of {@link randn} and {@link rand}: dtype, requiresGrad, and the generator. */
export interface RandomOptions extends TensorOptions {
  /** The generator to draw from; the library's default generator if omitted. */
  random?: Random;
}

/** Samples from N(mean, std²). */
export function randn(shape: Shape, options: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  const random = options.random ?? defaultRandom();
  const mean = options.mean ?? 0;
  const std = options.std ?? 1;
  const result = zeros(shape, options);
  for (let i = 0; i < result.size; i++) result.data[i] = mean + std * random.normal();
  return result;
}

/** Samples from U[low, high). */
export function rand(shape: Shape, options: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  const random = options.random ?? defaultRandom();
  const low = options.low ?? 0;
  const high = options.high ?? 1;
  const result = zeros(shape, options);
  for (let i = 0; i < result.size; i++) result.data[i] = random.uniformRange(low, high);
  return result;
}

// ---- printing ----

function formatNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return value.toFixed(0);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e5)) return value.toExponential(3);
  return value.toFixed(4);
}

/** Prints like PyTorch: nested brackets, long axes elided with "…". */
export function formatTensor(tensor: Tensor, edgeItems = 3): string {
  const strides = stridesOf(tensor.shape);
  const render = (axis: number, offset: number, indent: string): string => {
    if (axis === tensor.rank) return formatNumber(tensor.data[offset] as number);
    const dim = tensor.shape[axis] as number;
    const stride = strides[axis] as number;
    const shown: Array<number | null> = dim > 2 * edgeItems
      ? [...Array.from({ length: edgeItems }, (_, i) => i), null, ...Array.from({ length: edgeItems }, (_, i) => dim - edgeItems + i)]
      : Array.from({ length: dim }, (_, i) => i);
    const parts = shown.map((i) => (i === null ? '…' : render(axis + 1, offset + i * stride, indent + ' ')));
    const separator = axis === tensor.rank - 1 ? ', ' : `,\n${indent} `;
    return `[${parts.join(separator)}]`;
  };
  const grad = tensor.gradFn ? `, gradFn=${tensor.gradFn.op}` : tensor.requiresGrad ? ', requiresGrad' : '';
  return `tensor(${render(0, 0, '       ')}, shape=${formatShape(tensor.shape)}, dtype=${tensor.dtype}${grad})`;
}
