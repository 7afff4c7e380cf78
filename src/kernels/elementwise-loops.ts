/**
 * The fast loops of relu and the residual add, for float32 on the fast path
 * (ops/unary.ts and ops/binary.ts call them; `setBackend('reference')` runs
 * those files' plain comparisons and additions instead, fastPathFor in
 * backend.ts).
 *
 * relu is the hottest element-wise op of a training step, and on activations
 * whose signs look random `x > 0 ? x : 0` is mispredicted on every other
 * value (measured 13 → 4 ms on 1.6M values). So these loops have no branch:
 * they work on the float's bits.
 *   forward   bits & ~(bits >> 31)        the sign bit set (x < 0, −0, −∞) gives +0
 *   backward  gradBits & −[bits > 0]      keeps ∂L/∂y where x > 0, +0 elsewhere
 * (the bits of a float, read as an integer, are > 0 exactly when the float is;
 * a NaN input stays NaN forward and passes the gradient, as in PyTorch). The
 * fused norm loops (src/fast/) call the same two functions on a norm's output.
 *
 * The loops are RangeLoops, so a long run is split over the webasm backend's
 * two threads (split-loop.ts, helper-loops.ts). They take four values a step,
 * then the rest: the same operations in the same order, measured ≈1.5×
 * faster (V8 checks the loop and the arrays once a step).
 */

/** The float32 values' bits, as integers (a view, no copy). */
export function bitsOf(values: Float32Array): Int32Array {
  return new Int32Array(values.buffer, values.byteOffset, values.length);
}

/**
 * relu's forward rule on the bits of float32 values [first, end):
 * to = max(from, 0) (`fromBits` and `toBits` may be the same array: in place).
 * The one copy of the rule: the relu op, addRelu and the fused norm loops
 * (src/fast/) all call it.
 */
export function clampBits(fromBits: Int32Array, toBits: Int32Array, first: number, end: number): void {
  // four values a step, then the rest: measured ≈1.5× faster (V8 checks the loop and the arrays once a step)
  let i = first;
  for (; i + 3 < end; i += 4) {
    const b0 = fromBits[i] as number;
    const b1 = fromBits[i + 1] as number;
    const b2 = fromBits[i + 2] as number;
    const b3 = fromBits[i + 3] as number;
    toBits[i] = b0 & ~(b0 >> 31);
    toBits[i + 1] = b1 & ~(b1 >> 31);
    toBits[i + 2] = b2 & ~(b2 >> 31);
    toBits[i + 3] = b3 & ~(b3 >> 31);
  }
  for (; i < end; i++) {
    const b = fromBits[i] as number;
    toBits[i] = b & ~(b >> 31);
  }
}

/**
 * relu's backward rule on bits, for [first, end): into = ∂L/∂y where the
 * values in `outputBits` are > 0, else +0 (the ReLU's input or its output:
 * one is > 0 exactly where the other is). The one copy of the rule, as clampBits.
 */
export function maskBits(outputBits: Int32Array, gradBits: Int32Array, intoBits: Int32Array, first: number, end: number): void {
  // four values a step, then the rest (as clampBits)
  let i = first;
  for (; i + 3 < end; i += 4) {
    intoBits[i] = (gradBits[i] as number) & -Number((outputBits[i] as number) > 0);
    intoBits[i + 1] = (gradBits[i + 1] as number) & -Number((outputBits[i + 1] as number) > 0);
    intoBits[i + 2] = (gradBits[i + 2] as number) & -Number((outputBits[i + 2] as number) > 0);
    intoBits[i + 3] = (gradBits[i + 3] as number) & -Number((outputBits[i + 3] as number) > 0);
  }
  for (; i < end; i++) intoBits[i] = (gradBits[i] as number) & -Number((outputBits[i] as number) > 0);
}

/** {@link clampBits} as a RangeLoop (used by `relu`; split over the webasm backend's two threads when long, kernels/split-loop.ts). */
export function clampRun(task: { fromBits: Int32Array; toBits: Int32Array }, first: number, end: number): void {
  clampBits(task.fromBits, task.toBits, first, end);
}

/** {@link maskBits} as a RangeLoop (used by `relu` and addRelu; split as clampRun). */
export function maskRun(task: { outputBits: Int32Array; gradBits: Int32Array; intoBits: Int32Array }, first: number, end: number): void {
  maskBits(task.outputBits, task.gradBits, task.intoBits, first, end);
}

/**
 * out[i] = x[i] + y[i] for i in [first, end) (a RangeLoop: split over two
 * threads when long, kernels/split-loop.ts). Four values a step, then the
 * rest: measured ≈1.5× faster than one at a time (V8 checks the loop and
 * the arrays once a step); the same additions.
 */
export function addValues(task: { x: Float32Array | Float64Array; y: Float32Array | Float64Array; out: Float32Array | Float64Array }, first: number, end: number): void {
  const { x, y, out } = task;
  let i = first;
  for (; i + 3 < end; i += 4) {
    out[i] = (x[i] as number) + (y[i] as number);
    out[i + 1] = (x[i + 1] as number) + (y[i + 1] as number);
    out[i + 2] = (x[i + 2] as number) + (y[i + 2] as number);
    out[i + 3] = (x[i + 3] as number) + (y[i + 3] as number);
  }
  for (; i < end; i++) out[i] = (x[i] as number) + (y[i] as number);
}

/**
 * out[i] = max(x[i] + y[i], 0) for i in [first, end): the float32 sum, then
 * relu's rule on its bits (clampBits), in blocks that stay in the cache
 * between the two (a RangeLoop, as addValues).
 */
export function addThenClamp(task: { x: Float32Array; y: Float32Array; out: Float32Array }, first: number, end: number): void {
  const { x, y, out } = task;
  const outBits = bitsOf(out);
  for (let start = first; start < end; start += 1024) {
    const stop = Math.min(end, start + 1024);
    for (let i = start; i < stop; i++) out[i] = (x[i] as number) + (y[i] as number);
    clampBits(outBits, outBits, start, stop);
  }
}
