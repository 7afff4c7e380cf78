/**
 * Shape arithmetic: sizes, row-major strides and NumPy-style broadcasting.
 * Every tensor is flat, contiguous and row-major, so the element at index
 * (i₀, i₁, …) lives at Σ iₖ · strideₖ with strideₖ = Π_{j>k} shapeⱼ.
 */
export type Shape = readonly number[];

/** A shape as text: `[2, 3]`. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** The number of elements of a shape, Π dᵢ (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/** Row-major strides: sₖ = Π_{j>k} dⱼ, so element (i₀, …) is at Σ iₖ·sₖ. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis] as number;
  }
  return strides;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

export function assertValidShape(shape: Shape): void {
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) throw new Error(`invalid shape ${formatShape(shape)}: dimensions must be non-negative integers`);
  }
}

/**
 * The shape two operands broadcast to. Shapes are aligned at their last axis;
 * a pair of dimensions is compatible when they are equal or one of them is 1.
 */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const dimA = a[a.length - rank + i] ?? 1;
    const dimB = b[b.length - rank + i] ?? 1;
    if (dimA !== dimB && dimA !== 1 && dimB !== 1) {
      throw new Error(`shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together (axis ${i}: ${dimA} vs ${dimB})`);
    }
    out[i] = dimA === 1 ? dimB : dimA;
  }
  return out;
}

/**
 * Strides for reading a tensor of shape `from` as if it had shape `to`:
 * broadcast axes (size 1, or missing on the left) get stride 0, so every
 * position along them reads the same element.
 */
export function broadcastStrides(from: Shape, to: Shape): number[] {
  if (from.length > to.length) throw new Error(`cannot broadcast ${formatShape(from)} to ${formatShape(to)}`);
  const own = stridesOf(from);
  const out = new Array<number>(to.length).fill(0);
  const offset = to.length - from.length;
  for (let axis = 0; axis < from.length; axis++) {
    const dim = from[axis] as number;
    const target = to[axis + offset] as number;
    if (dim !== target && dim !== 1) throw new Error(`cannot broadcast ${formatShape(from)} to ${formatShape(to)}`);
    out[axis + offset] = dim === 1 ? 0 : (own[axis] as number);
  }
  return out;
}

/** Normalizes a possibly negative axis (−1 = last) and checks it. */
export function normalizeAxis(axis: number, rank: number): number {
  const normalized = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(normalized) || normalized < 0 || normalized >= rank) {
    throw new Error(`axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return normalized;
}
