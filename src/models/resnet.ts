/**
 * The paper's ResNet(6n+2) for 1×28×28 input (its MNIST/Fashion-MNIST network
 * is ResNet20, n = 3): a 3×3 stem with 16 channels, three stages of n basic
 * blocks with 16, 32 and 64 channels (the second and third start with stride
 * 2: 28 → 14 → 7), global average pooling and a linear classifier.
 *
 * Names follow the paper's PyTorch code: conv1, bn1, layer1.0.conv1, …,
 * layer2.0.shortcut.0 (the 1×1 conv), layer2.0.shortcut.1 (its norm), linear.
 * The "bn" names are kept whatever the norm is, as in that code.
 */
import { Conv2d, GlobalAvgPool2d, Linear, NormalizeInput, ReLU, Sequential } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { chain } from '../nn/fused-relu.js';
import { makeNorm, type NormConfig } from '../nn/norm-factory.js';
import type { Random } from '../random.js';
import type { Tensor } from '../tensor/tensor.js';

/** The ReLU between layers (it has no parameters: one serves every place). */
const relu = new ReLU();

/** Options of {@link BasicBlock}: stride of its first conv (default 1), its norm layers, the generator for its weights. */
export interface BasicBlockOptions {
  stride?: number;
  norm: NormConfig;
  random: Random;
}

/**
 * out = relu(norm2(conv2(relu(norm1(conv1(x))))) + shortcut(x)), where the
 * shortcut is the identity, or a 1×1 conv + norm when the shape changes.
 */
export class BasicBlock extends Module {
  readonly conv1: Conv2d;
  readonly bn1: Module;
  readonly conv2: Conv2d;
  readonly bn2: Module;
  readonly shortcut: Sequential | null;

  constructor(inChannels: number, outChannels: number, options: BasicBlockOptions) {
    super();
    const { norm, random } = options;
    const stride = options.stride ?? 1;
    this.conv1 = this.registerModule('conv1', new Conv2d(inChannels, outChannels, 3, { stride, padding: 1, random }));
    this.bn1 = this.registerModule('bn1', makeNorm(norm, outChannels));
    this.conv2 = this.registerModule('conv2', new Conv2d(outChannels, outChannels, 3, { padding: 1, random }));
    this.bn2 = this.registerModule('bn2', makeNorm(norm, outChannels));
    this.shortcut = stride !== 1 || inChannels !== outChannels
      ? this.registerModule('shortcut', new Sequential(new Conv2d(inChannels, outChannels, 1, { stride, random }), makeNorm(norm, outChannels)))
      : null;
  }

  /** relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)). */
  forward(x: Tensor): Tensor {
    const residual = chain(x, this.conv1, this.bn1, relu, this.conv2, this.bn2);
    // relu(residual + shortcut), in one pass each way (Tensor.addRelu)
    return residual.addRelu(this.shortcut ? this.shortcut.forward(x) : x);
  }
}

/** Options of {@link ResNet}: depth 6n+2, normalization, initialization generator, classes. */
export interface ResNetOptions {
  depth: number;
  norm: NormConfig;
  random: Random;
  classes?: number;
  inChannels?: number;
  /** Per-channel input normalization applied first (omit for none). */
  inputNormalization?: { mean: number[]; std: number[] };
}

/**
 * The CIFAR-style ResNet of depth 6n+2 (ResNet20 for n = 3) that the paper trains:
 * a 3×3 conv, three stages of n basic blocks (16, 32, 64 channels; stride 2 between stages),
 * global average pooling and a linear layer.
 */
export class ResNet extends Module {
  readonly normalize: NormalizeInput | null;
  readonly conv1: Conv2d;
  readonly bn1: Module;
  readonly layer1: Sequential;
  readonly layer2: Sequential;
  readonly layer3: Sequential;
  readonly pool = new GlobalAvgPool2d();
  readonly linear: Linear;

  constructor(options: ResNetOptions) {
    super();
    const { depth, norm, random } = options;
    if (!Number.isInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0) {
      throw new Error(`resnet: depth must be 6n + 2 with n ≥ 1 (8, 14, 20, 32, …), got ${depth}`);
    }
    const blocks = (depth - 2) / 6;
    this.normalize = options.inputNormalization ? new NormalizeInput(options.inputNormalization.mean, options.inputNormalization.std) : null;
    this.conv1 = this.registerModule('conv1', new Conv2d(options.inChannels ?? 1, 16, 3, { padding: 1, random }));
    this.bn1 = this.registerModule('bn1', makeNorm(norm, 16));
    const stage = (inChannels: number, outChannels: number, stride: number) =>
      new Sequential(...Array.from({ length: blocks }, (_, i) => new BasicBlock(i === 0 ? inChannels : outChannels, outChannels, { stride: i === 0 ? stride : 1, norm, random })));
    this.layer1 = this.registerModule('layer1', stage(16, 16, 1));
    this.layer2 = this.registerModule('layer2', stage(16, 32, 2));
    this.layer3 = this.registerModule('layer3', stage(32, 64, 2));
    this.linear = this.registerModule('linear', new Linear(64, options.classes ?? 10, { random }));
  }

  /** Logits [N, classes] for images [N, C, H, W]. */
  forward(x: Tensor): Tensor {
    const input = this.normalize ? this.normalize.forward(x) : x;
    const stem = chain(input, this.conv1, this.bn1, relu);
    const features = this.layer3.forward(this.layer2.forward(this.layer1.forward(stem)));
    return this.linear.forward(this.pool.forward(features));
  }
}
