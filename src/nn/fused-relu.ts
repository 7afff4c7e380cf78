/**
 * A ReLU folded into a norm layer's fused float32 loops (batchNorm2dFused,
 * robustNorm2dFused), for the `relu(norm(x))` of every model here:
 *
 *   y = max(z, 0),  z = the norm's output   ⇒   ∂L/∂z = ∂L/∂y where z > 0, else 0
 *
 * The same definition, and the same bit arithmetic, as the relu op
 * (ops/unary.ts; see there why it works on the bits): the results are
 * identical, bit for bit (test/norms-fused.test.ts). Folded in, the forward
 * pass clamps each run of z right after writing it, while it is in the
 * cache, and the backward pass masks ∂L/∂y run by run into the ∂L/∂x buffer,
 * where the norm's own backward then reads it. A step skips relu's two
 * passes over memory and its two arrays the size of the activation.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { Module } from './module.js';

/** The float32 values' bits, as integers (a view, no copy). */
export function bitsOf(values: Float32Array): Int32Array {
  return new Int32Array(values.buffer, values.byteOffset, values.length);
}

/** y = max(z, 0) in place on z[start, end): the sign bit set (z < 0, −0, −∞) gives +0. */
export function clampRun(bits: Int32Array, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const b = bits[i] as number;
    bits[i] = b & ~(b >> 31);
  }
}

/**
 * into[i] = ∂L/∂y[i] where y[i] > 0, else +0, for i in [start, end): ∂L/∂z.
 * (y > 0 exactly where z > 0; as integers, a float's bits are > 0 exactly when it is.)
 */
export function maskRun(outputBits: Int32Array, gradBits: Int32Array, intoBits: Int32Array, start: number, end: number): void {
  for (let i = start; i < end; i++) intoBits[i] = (gradBits[i] as number) & -Number((outputBits[i] as number) > 0);
}

/** A norm layer that can apply a ReLU to its output in its own loops. */
export interface FusesRelu {
  /** relu(this.forward(x)), computed together. */
  forwardRelu(x: Tensor): Tensor;
}

function fusesRelu(module: Module): module is Module & FusesRelu {
  return typeof (module as Partial<FusesRelu>).forwardRelu === 'function';
}

/** relu(norm(x)): folded into the norm's loops where the layer can (BatchNorm, RobustNorm), else as two ops. */
export function normRelu(norm: Module, x: Tensor): Tensor {
  return fusesRelu(norm) ? norm.forwardRelu(x) : norm.forward(x).relu();
}
