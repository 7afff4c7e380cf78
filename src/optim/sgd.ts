/**
 * Stochastic gradient descent with momentum, weight decay and optional
 * Nesterov momentum, with PyTorch's update rule (torch.optim.SGD):
 *
 *   g ← ∇θ + λ·θ                      weight decay λ
 *   b ← g                             on the first step
 *   b ← μ·b + (1 − dampening)·g       afterwards (momentum μ)
 *   g ← g + μ·b   (Nesterov)   or   g ← b
 *   θ ← θ − lr·g
 *
 * Updates happen in place on each parameter's buffer; momentum buffers are
 * allocated once and reused, so a step allocates nothing.
 */
import type { Tensor } from '../tensor/tensor.js';
import { firstNonFinite } from '../tensor/autograd.js';

/** Hyperparameters of {@link SGD}: learning rate, momentum μ, dampening, weight decay λ, Nesterov. */
export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent with PyTorch's rule: g ← ∇θ + λθ; b ← μb + (1 − dampening)g
 * (b ← g on the first step); θ ← θ − lr·(Nesterov ? g + μb : b).
 */
export class SGD {
  lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  /** One momentum buffer per parameter, created on its first step. */
  readonly momentumBuffers = new Map<Tensor, Float32Array | Float64Array>();

  constructor(readonly parameters: readonly Tensor[], options: SgdOptions) {
    this.lr = options.lr;
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    this.nesterov = options.nesterov ?? false;
    if (!(this.lr >= 0)) throw new Error(`SGD: learning rate must be ≥ 0, got ${this.lr}`);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) throw new Error('SGD: Nesterov momentum needs momentum > 0 and dampening 0');
  }

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    const { lr, momentum: mu, dampening, weightDecay, nesterov } = this;
    this.parameters.forEach((parameter, index) => {
      const grad = parameter.grad;
      if (grad === null) return;
      const bad = firstNonFinite(grad.data);
      if (bad >= 0) throw new Error(`SGD: the gradient of parameter ${index} (shape [${parameter.shape.join(', ')}]) is ${grad.data[bad]} at index ${bad}`);
      const theta = parameter.data;
      const g = grad.data;
      let buffer = this.momentumBuffers.get(parameter);
      const firstStep = buffer === undefined;
      if (mu !== 0 && buffer === undefined) {
        buffer = new (theta.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(theta.length);
        this.momentumBuffers.set(parameter, buffer);
      }
      for (let i = 0; i < theta.length; i++) {
        let step = (g[i] as number) + weightDecay * (theta[i] as number); // g ← ∇θ + λθ
        if (buffer !== undefined) {
          const b = firstStep ? step : mu * (buffer[i] as number) + (1 - dampening) * step; // b ← μb + (1 − dampening)g
          buffer[i] = b;
          step = nesterov ? step + mu * b : b;
        }
        theta[i] = (theta[i] as number) - lr * step; // θ ← θ − lr·g
      }
    });
  }

  /** Forgets every parameter's gradient. */
  zeroGrad(): void {
    for (const parameter of this.parameters) parameter.zeroGrad();
  }
}
