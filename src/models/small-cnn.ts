/**
 * smallCnn: the quick model for laptops and CI. Three 3×3 convs (1→16,
 * 16→32 stride 2, 32→64 stride 2: 28 → 14 → 7), each followed by a norm and
 * ReLU, then flatten and a linear layer 64·7·7 → 10.
 */
import { Conv2d, Linear, NormalizeInput, ReLU } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { chain } from '../nn/fused-relu.js';
import { makeNorm, type NormConfig } from '../nn/norm-factory.js';
import type { Random } from '../random.js';
import type { Tensor } from '../tensor/tensor.js';

/** The ReLU between layers (it has no parameters: one serves every place). */
const relu = new ReLU();

/** Options of {@link SmallCnn}. */
export interface SmallCnnOptions {
  norm: NormConfig;
  random: Random;
  classes?: number;
  inputNormalization?: { mean: number[]; std: number[] };
}

/**
 * The quick model: three 3×3 convolutions (16, 32, 64 channels; 28 → 14 → 7), each followed by a
 * norm and ReLU, then a linear layer to the classes.
 */
export class SmallCnn extends Module {
  readonly normalize: NormalizeInput | null;
  readonly conv1: Conv2d;
  readonly bn1: Module;
  readonly conv2: Conv2d;
  readonly bn2: Module;
  readonly conv3: Conv2d;
  readonly bn3: Module;
  readonly linear: Linear;

  constructor(options: SmallCnnOptions) {
    super();
    const { norm, random } = options;
    this.normalize = options.inputNormalization ? new NormalizeInput(options.inputNormalization.mean, options.inputNormalization.std) : null;
    this.conv1 = this.registerModule('conv1', new Conv2d(1, 16, 3, { padding: 1, random }));
    this.bn1 = this.registerModule('bn1', makeNorm(norm, 16));
    this.conv2 = this.registerModule('conv2', new Conv2d(16, 32, 3, { stride: 2, padding: 1, random }));
    this.bn2 = this.registerModule('bn2', makeNorm(norm, 32));
    this.conv3 = this.registerModule('conv3', new Conv2d(32, 64, 3, { stride: 2, padding: 1, random }));
    this.bn3 = this.registerModule('bn3', makeNorm(norm, 64));
    this.linear = this.registerModule('linear', new Linear(64 * 7 * 7, options.classes ?? 10, { random }));
  }

  /** Logits [N, classes] for images [N, 1, 28, 28]. */
  forward(x: Tensor): Tensor {
    const input = this.normalize ? this.normalize.forward(x) : x;
    const features = chain(input, this.conv1, this.bn1, relu, this.conv2, this.bn2, relu, this.conv3, this.bn3, relu);
    return this.linear.forward(features.flatten(1));
  }
}
