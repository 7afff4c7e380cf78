/**
 * What every attack shares: settings, the input gradient of the loss, and the
 * two projections (onto the ε-ball and into the valid box).
 *
 * Units: attacks work in the model's input space, which here is pixels in
 * [0, 1] (a model that wants normalized input carries the normalization as its
 * first layer). The paper's code stated ε in normalized units (mean 0.1307,
 * std 0.3081 for MNIST/Fashion-MNIST): ε_pixel = 0.3081 · ε_paper. See units.ts.
 *
 * Where we differ from the paper's code (advertorch), and why:
 * - The box. The paper's code clips to the min and max over every pixel of the
 *   clean (normalized) batch, two numbers per batch. Here the box is fixed,
 *   [0, 1] unless given. On MNIST both are the same set for any real batch:
 *   backgrounds are exactly 0, and 91% of the embedded digits have a pixel of
 *   exactly 1, so a batch misses 1 only if it has a handful of images.
 * - Parameter gradients. advertorch's backward passes leave stray `.grad` on
 *   the model's weights; here parameters are frozen during an attack
 *   (`withFrozenParameters`), so only ∂L/∂x is computed.
 * - ε is in pixel units (see units.ts).
 */
import type { Module } from '../nn/module.js';
import { crossEntropy } from '../ops/loss.js';
import { Tensor } from '../tensor/tensor.js';
import { PAPER_INPUT_STD } from './units.js';

/** Settings shared by the L∞ attacks (FGSM, BIM, PGD, MIM), in input (pixel) units. */
export interface AttackSettings {
  /** Radius of the L∞ ball (FGSM/BIM/PGD/MIM), in input units. */
  eps: number;
  /** Step size of the iterative attacks (default ε/10, the paper's choice). */
  epsIter?: number;
  /** Iterations of the iterative attacks (default 20, the paper's choice). */
  nbIter?: number;
  /** The valid input box (default [0, 1]). */
  clipMin?: number;
  clipMax?: number;
  /** Push towards `labels` instead of away from them. */
  targeted?: boolean;
}

/** The settings with the paper's defaults filled in; throws on settings that make no sense. */
export function resolvedSettings(settings: AttackSettings): Required<AttackSettings> {
  const resolved = {
    eps: settings.eps,
    epsIter: settings.epsIter ?? settings.eps / 10,
    nbIter: settings.nbIter ?? 20,
    clipMin: settings.clipMin ?? 0,
    clipMax: settings.clipMax ?? 1,
    targeted: settings.targeted ?? false,
  };
  if (!(resolved.eps >= 0) || !Number.isFinite(resolved.eps)) throw new Error(`attack: eps must be a finite number ≥ 0, got ${settings.eps}`);
  if (!(resolved.epsIter >= 0) || !Number.isFinite(resolved.epsIter)) throw new Error(`attack: epsIter must be a finite number ≥ 0, got ${settings.epsIter}`);
  if (!Number.isInteger(resolved.nbIter) || resolved.nbIter < 0) throw new Error(`attack: nbIter must be a non-negative integer, got ${settings.nbIter}`);
  if (!(resolved.clipMin < resolved.clipMax)) throw new Error(`attack: clip range [${resolved.clipMin}, ${resolved.clipMax}] is empty`);
  if (resolved.eps > resolved.clipMax - resolved.clipMin) {
    throw new Error(`attack: eps ${resolved.eps} (input units) is larger than the whole input range [${resolved.clipMin}, ${resolved.clipMax}], so any image would be in reach; in the paper's units the largest is ${((resolved.clipMax - resolved.clipMin) / PAPER_INPUT_STD).toFixed(2)}`);
  }
  return resolved;
}

/** Throws unless there is one label per sample of `x`. */
export function checkLabels(x: Tensor, labels: ArrayLike<number>): void {
  if (x.shape.length < 2) throw new Error(`attack: expected a batch [N, …], got shape [${x.shape.join(', ')}]`);
  if (labels.length !== x.shape[0]) throw new Error(`attack: ${labels.length} labels for a batch of ${x.shape[0]}`);
}

/**
 * Runs `fn` with the model's parameters marked as not requiring grad, so an
 * attack's backward pass computes only ∂L/∂x: no weight-gradient kernels run
 * and no parameter accumulates a stray `.grad` (advertorch leaves them polluted).
 */
export function withFrozenParameters<T>(model: Module, fn: () => T): T {
  const parameters = model.parameters();
  const previous = parameters.map((parameter) => parameter.requiresGrad);
  for (const parameter of parameters) parameter.requiresGrad = false;
  try {
    return fn();
  } finally {
    parameters.forEach((parameter, i) => (parameter.requiresGrad = previous[i] as boolean));
  }
}

/**
 * ∂L/∂x for L = Σ_i CE(f(x)_i, y_i) (summed, as the paper's attacks use), or −L
 * for a targeted attack. Also returns the loss and the logits at x.
 */
export function lossGradient(model: Module, x: Tensor, labels: ArrayLike<number>, targeted: boolean): { grad: Float32Array; loss: number; logits: Tensor } {
  const input = new Tensor(Float32Array.from(x.data), x.shape, true);
  const logits = model.forward(input);
  const loss = crossEntropy(logits, labels, 'sum');
  (targeted ? loss.neg() : loss).backward();
  const grad = input.grad?.data;
  if (grad === undefined) throw new Error('attack: the model output does not depend on its input');
  return { grad: Float32Array.from(grad), loss: loss.item(), logits: logits.detach() };
}

/** sign(v) with sign(0) = 0 (zero-gradient pixels do not move, as in PyTorch). */
export function sign(value: number): number {
  return value > 0 ? 1 : value < 0 ? -1 : 0;
}

/**
 * After a step: δ ← clamp(δ, −ε, ε) (onto the L∞ ball), then δ ← clip(x + δ) − x
 * (into the box). This order is advertorch's; the box clip only shrinks |δ|, so
 * the result stays inside the ball.
 */
export function projectPerturbation(x: Float32Array, delta: Float32Array, eps: number, clipMin: number, clipMax: number): void {
  for (let i = 0; i < delta.length; i++) {
    const inBall = Math.min(Math.max(delta[i] as number, -eps), eps);
    const pixel = x[i] as number;
    delta[i] = Math.min(Math.max(pixel + inBall, clipMin), clipMax) - pixel;
  }
}

export function addPerturbation(x: Tensor, delta: Float32Array, clipMin: number, clipMax: number): Tensor {
  const out = new Float32Array(x.size);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(Math.max((x.data[i] as number) + (delta[i] as number), clipMin), clipMax);
  return new Tensor(out, x.shape);
}
