/**
 * Element-wise unary ops. Each backward multiplies ∂L/∂y by the local
 * derivative dy/dx, evaluated at the saved input x (or output y).
 */
import { record } from '../tensor/autograd.js';
import { allocateToOverwrite, Tensor, type TypedArray } from '../tensor/tensor.js';
import { splitLoop } from '../kernels/split-loop.js';
import { bitsOf, clampRun, maskRun } from '../kernels/elementwise-loops.js';
import { fastPathFor } from '../kernels/backend.js';

/** out[i] = f(x[i]). */
function map(x: Tensor, f: (value: number) => number): Tensor {
  const out = allocateToOverwrite(x.dtype, x.size);
  const input = x.data;
  for (let i = 0; i < out.length; i++) out[i] = f(input[i] as number);
  return new Tensor(out, x.shape);
}

/** out[i] = f(g[i], s[i]) for two tensors of one shape: a gradient and a saved tensor. */
function mapWith(grad: Tensor, saved: Tensor, f: (g: number, s: number) => number): Tensor {
  const out = allocateToOverwrite(grad.dtype, grad.size);
  const g = grad.data;
  const s = saved.data;
  for (let i = 0; i < out.length; i++) out[i] = f(g[i] as number, s[i] as number);
  return new Tensor(out, grad.shape);
}

/** y = −x; ∂L/∂x = −∂L/∂y. */
export function neg(x: Tensor): Tensor {
  // y = −x  ⇒  ∂L/∂x = −∂L/∂y
  return record('neg', map(x, (v) => -v), [x], (g) => [map(g, (v) => -v)]);
}

/** y = eˣ; ∂L/∂x = ∂L/∂y · y. */
export function exp(x: Tensor): Tensor {
  const y = map(x, Math.exp);
  // y = eˣ  ⇒  ∂L/∂x = ∂L/∂y · eˣ = ∂L/∂y · y
  return record('exp', y, [x], (g) => [mapWith(g, y, (gi, yi) => gi * yi)]);
}

/** y = ln x; ∂L/∂x = ∂L/∂y / x. */
export function log(x: Tensor): Tensor {
  // y = ln x  ⇒  ∂L/∂x = ∂L/∂y / x
  return record('log', map(x, Math.log), [x], (g) => [mapWith(g, x, (gi, xi) => gi / xi)]);
}

/** y = √x; ∂L/∂x = ∂L/∂y / (2y). */
export function sqrt(x: Tensor): Tensor {
  const y = map(x, Math.sqrt);
  // y = √x  ⇒  ∂L/∂x = ∂L/∂y / (2√x) = ∂L/∂y / (2y)
  return record('sqrt', y, [x], (g) => [mapWith(g, y, (gi, yi) => gi / (2 * yi))]);
}

/** y = x^p for a constant p; ∂L/∂x = ∂L/∂y · p·x^(p−1). */
export function pow(x: Tensor, exponent: number): Tensor {
  const y = map(x, (v) => Math.pow(v, exponent));
  // y = xᵖ  ⇒  ∂L/∂x = ∂L/∂y · p · xᵖ⁻¹
  return record('pow', y, [x], (g) => [mapWith(g, x, (gi, xi) => gi * exponent * Math.pow(xi, exponent - 1))]);
}

/** y = |x|; ∂L/∂x = ∂L/∂y · sign(x) (0 at x = 0). */
export function abs(x: Tensor): Tensor {
  // y = |x|  ⇒  ∂L/∂x = ∂L/∂y · sign(x)   (0 at x = 0, the subgradient PyTorch uses)
  return record('abs', map(x, Math.abs), [x], (g) => [mapWith(g, x, (gi, xi) => gi * Math.sign(xi))]);
}

/** y = sign(x) ∈ {−1, 0, 1}; its derivative is 0 everywhere it exists, so ∂L/∂x = 0. */
export function sign(x: Tensor): Tensor {
  // y = sign(x) is piecewise constant  ⇒  ∂L/∂x = 0
  return record('sign', map(x, (v) => (v > 0 ? 1 : v < 0 ? -1 : 0)), [x], (g) => [map(g, () => 0)]);
}

/** y = min(max(x, min), max); ∂L/∂x = ∂L/∂y where min ≤ x ≤ max, else 0. */
export function clamp(x: Tensor, min: number, max: number): Tensor {
  if (min > max) throw new Error(`clamp: min (${min}) is greater than max (${max})`);
  // y = min(max(x, lo), hi)  ⇒  ∂L/∂x = ∂L/∂y where lo ≤ x ≤ hi, else 0
  return record('clamp', map(x, (v) => Math.min(Math.max(v, min), max)), [x], (g) => [
    mapWith(g, x, (gi, xi) => (xi >= min && xi <= max ? gi : 0)),
  ]);
}

/** y = max(x, 0); ∂L/∂x = ∂L/∂y where x > 0, else 0. */
export function relu(x: Tensor): Tensor {
  // y = max(x, 0)  ⇒  ∂L/∂x = ∂L/∂y where x > 0, else 0
  const out = allocateToOverwrite(x.dtype, x.size);
  reluForward(x.data, out);
  return record('relu', new Tensor(out, x.shape), [x], (gradOut) => {
    const gradInput = allocateToOverwrite(gradOut.dtype, gradOut.size);
    reluBackward(x.data, gradOut.data, gradInput);
    return [new Tensor(gradInput, x.shape)];
  });
}

/*
 * relu is the hottest element-wise op of a training step, so it has its own
 * loops (map/mapWith's shared call of `f` cannot be inlined). On the fast
 * path float32 runs branch-free loops on the float's bits, with the same
 * results (kernels/elementwise-loops.ts); float64 (gradient checks) and the
 * readable path (`setBackend('reference')`) run the comparisons below.
 */
function reluForward(input: TypedArray, out: TypedArray): void {
  if (input instanceof Float32Array && out instanceof Float32Array && fastPathFor('float32')) {
    splitLoop(clampRun, { fromBits: bitsOf(input), toBits: bitsOf(out) }, out.length, out.length);
    return;
  }
  for (let i = 0; i < out.length; i++) out[i] = (input[i] as number) > 0 ? (input[i] as number) : 0;
}

function reluBackward(input: TypedArray, gradOut: TypedArray, gradInput: TypedArray): void {
  if (input instanceof Float32Array && gradOut instanceof Float32Array && gradInput instanceof Float32Array && fastPathFor('float32')) {
    // as integers, a float's bits are > 0 exactly when it is > 0 (or a positive NaN)
    const task = { outputBits: bitsOf(input), gradBits: bitsOf(gradOut), intoBits: bitsOf(gradInput) };
    splitLoop(maskRun, task, gradInput.length, gradInput.length);
    return;
  }
  for (let i = 0; i < gradInput.length; i++) gradInput[i] = (input[i] as number) > 0 ? (gradOut[i] as number) : 0;
}

/** y = tanh x; ∂L/∂x = ∂L/∂y · (1 − y²). */
export function tanh(x: Tensor): Tensor {
  const y = map(x, Math.tanh);
  // y = tanh x  ⇒  ∂L/∂x = ∂L/∂y · (1 − y²)
  return record('tanh', y, [x], (g) => [mapWith(g, y, (gi, yi) => gi * (1 - yi * yi))]);
}
