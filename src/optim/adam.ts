/**
 * Adam (Kingma & Ba 2015) with PyTorch's update rule (torch.optim.Adam, no
 * weight decay, no AMSGrad), for step t = 1, 2, …:
 *
 *   m ← β₁·m + (1 − β₁)·g          first moment (m = 0 before step 1)
 *   v ← β₂·v + (1 − β₂)·g²         second moment (v = 0 before step 1)
 *   m̂ = m / (1 − β₁ᵗ)              bias corrections
 *   v̂ = v / (1 − β₂ᵗ)
 *   θ ← θ − lr · m̂ / (√v̂ + ε)
 *
 * The project uses it where the paper's code did: Carlini–Wagner optimizes
 * its perturbation with it (attacks/cw.ts). The moments are kept in the
 * parameter's own precision and allocated on the first step, so a step
 * allocates nothing after that. test/adam.test.ts checks it against numbers
 * PyTorch computed.
 */
import { firstNonFinite } from '../tensor/autograd.js';
import type { Tensor } from '../tensor/tensor.js';

/** Hyperparameters of {@link Adam}: step size, the two moments' decay rates, and ε (PyTorch's defaults). */
export interface AdamOptions {
  lr: number;
  /** β₁ and β₂ (default 0.9 and 0.999). */
  betas?: readonly [number, number];
  /** Added to √v̂ (default 1e-8). */
  eps?: number;
}

type Moments = { m: Float32Array | Float64Array; v: Float32Array | Float64Array };

/** Adam with PyTorch's rule: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², θ ← θ − lr·m̂/(√v̂ + ε). */
export class Adam {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Steps taken so far (t). */
  steps = 0;
  private readonly moments = new Map<Tensor, Moments>();

  constructor(readonly parameters: readonly Tensor[], options: AdamOptions) {
    this.lr = options.lr;
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    if (!(this.lr >= 0)) throw new Error(`Adam: learning rate must be ≥ 0, got ${this.lr}`);
    for (const beta of [this.beta1, this.beta2]) if (!(beta >= 0 && beta < 1)) throw new Error(`Adam: betas must lie in [0, 1), got [${this.beta1}, ${this.beta2}]`);
  }

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    this.steps++;
    const { lr, beta1, beta2, eps } = this;
    const correction1 = 1 - beta1 ** this.steps; // m̂ = m / (1 − β₁ᵗ)
    const correction2 = 1 - beta2 ** this.steps; // v̂ = v / (1 − β₂ᵗ)
    this.parameters.forEach((parameter, index) => {
      const grad = parameter.grad;
      if (grad === null) return;
      const bad = firstNonFinite(grad.data);
      if (bad >= 0) throw new Error(`Adam: the gradient of parameter ${index} (shape [${parameter.shape.join(', ')}]) is ${grad.data[bad]} at index ${bad}`);
      const { m, v } = this.momentsOf(parameter);
      const theta = parameter.data;
      const g = grad.data;
      for (let i = 0; i < theta.length; i++) {
        const gi = g[i] as number;
        m[i] = beta1 * (m[i] as number) + (1 - beta1) * gi; // m ← β₁m + (1 − β₁)g
        v[i] = beta2 * (v[i] as number) + (1 - beta2) * gi * gi; // v ← β₂v + (1 − β₂)g²
        const mHat = (m[i] as number) / correction1;
        const vHat = (v[i] as number) / correction2;
        theta[i] = (theta[i] as number) - (lr * mHat) / (Math.sqrt(vHat) + eps); // θ ← θ − lr·m̂/(√v̂ + ε)
      }
    });
  }

  /** Forgets every parameter's gradient. */
  zeroGrad(): void {
    for (const parameter of this.parameters) parameter.zeroGrad();
  }

  private momentsOf(parameter: Tensor): Moments {
    let moments = this.moments.get(parameter);
    if (moments === undefined) {
      const Buffer = parameter.data.constructor as Float32ArrayConstructor | Float64ArrayConstructor;
      moments = { m: new Buffer(parameter.data.length), v: new Buffer(parameter.data.length) };
      this.moments.set(parameter, moments);
    }
    return moments;
  }
}
