/**
 * The basic layers: Conv2d, Linear, ReLU, pooling, Flatten, input
 * normalization and Sequential. Each is a Module around one op from src/ops
 * (whose file holds the forward and backward math).
 */
import { conv2d } from '../ops/conv2d.js';
import { avgPool2d, globalAvgPool2d } from '../ops/pool.js';
import { defaultRandom, type Random } from '../random.js';
import { formatShape } from '../tensor/shape.js';
import { fromArray, rand, randn, zeros, type Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/** Options of the {@link Conv2d} layer. */
export interface Conv2dLayerOptions {
  stride?: number;
  padding?: number;
  /** Add a learned bias per output channel (default false: a norm layer follows). */
  bias?: boolean;
  random?: Random;
}

/**
 * Conv2d with the paper's code's initialization (He et al., as in the ResNet
 * code for CIFAR): w ~ N(0, 2 / (k·k·out_channels)).
 */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly stride: number;
  readonly padding: number;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number, options: Conv2dLayerOptions = {}) {
    super();
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    const random = options.random ?? defaultRandom();
    const std = Math.sqrt(2 / (kernelSize * kernelSize * outChannels));
    this.weight = this.registerParameter('weight', randn([outChannels, inChannels, kernelSize, kernelSize], { random, std }));
    this.bias = options.bias ? this.registerParameter('bias', zeros([outChannels])) : null;
  }

  /** y = x ⋆ w (+ b): [N, C, H, W] → [N, Co, OH, OW]; see {@link conv2d}. */
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding });
  }
}

/** Options of {@link Linear}: the generator its initial weights are drawn from. */
export interface LinearOptions {
  random?: Random;
}

/**
 * y = x · Wᵀ + b with W [out, in] (PyTorch's layout), initialized as PyTorch
 * does: W, b ~ U(−1/√in, 1/√in).
 */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(readonly inFeatures: number, readonly outFeatures: number, options: LinearOptions = {}) {
    super();
    const random = options.random ?? defaultRandom();
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.registerParameter('weight', rand([outFeatures, inFeatures], { random, low: -bound, high: bound }));
    this.bias = this.registerParameter('bias', rand([outFeatures], { random, low: -bound, high: bound }));
  }

  /** y = x · Wᵀ + b for x [N, in]. */
  forward(x: Tensor): Tensor {
    if (x.rank !== 2 || x.shape[1] !== this.inFeatures) {
      throw new Error(`Linear(${this.inFeatures} → ${this.outFeatures}): expects input [N, ${this.inFeatures}], got ${formatShape(x.shape)}`);
    }
    return x.matmul(this.weight.transpose()).add(this.bias);
  }
}

/** ReLU as a layer: max(x, 0). */
export class ReLU extends Module {
  /** max(x, 0) element-wise. */
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/** Options of {@link AvgPool2d}: the stride (default: the window size, windows side by side). */
export interface AvgPool2dOptions {
  stride?: number;
}

/** Average pooling over kernelSize × kernelSize windows with the given stride. */
export class AvgPool2d extends Module {
  readonly stride: number;

  constructor(readonly kernelSize: number, options: AvgPool2dOptions = {}) {
    super();
    this.stride = options.stride ?? kernelSize;
  }

  /** The mean of each window: [N, C, H, W] → [N, C, OH, OW]. */
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.stride);
  }
}

/** [N, C, H, W] → [N, C]: the mean of each channel. */
export class GlobalAvgPool2d extends Module {
  /** The mean of each channel: [N, C, H, W] → [N, C]. */
  forward(x: Tensor): Tensor {
    return globalAvgPool2d(x);
  }
}

/** [N, …] → [N, product of the rest]. */
export class Flatten extends Module {
  /** [N, …] → [N, product of the rest]. */
  forward(x: Tensor): Tensor {
    return x.flatten(1);
  }
}

/**
 * Input normalization, (x − mean) / std per channel, as the first layer of a
 * model, so attacks can work in pixel units on [0, 1] images while the network
 * sees what the paper's code fed it (MNIST: mean 0.1307, std 0.3081).
 */
export class NormalizeInput extends Module {
  private readonly mean: Tensor;
  private readonly std: Tensor;

  constructor(readonly means: readonly number[], readonly stds: readonly number[]) {
    super();
    if (means.length !== stds.length) throw new Error(`NormalizeInput: ${means.length} means but ${stds.length} stds`);
    this.mean = fromArray([...means], [1, means.length, 1, 1]);
    this.std = fromArray([...stds], [1, stds.length, 1, 1]);
  }

  /** (x − mean_c) / std_c per channel. */
  forward(x: Tensor): Tensor {
    return x.sub(this.mean).div(this.std);
  }
}

/** Runs its children in order; they are named 0, 1, 2, … as in PyTorch. */
export class Sequential extends Module {
  private readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers.map((layer, i) => this.registerModule(String(i), layer));
  }

  /** Applies the children in order. */
  forward(x: Tensor): Tensor {
    return this.layers.reduce((value, layer) => layer.forward(value), x);
  }
}
