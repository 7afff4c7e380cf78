/**
 * LayerNorm (Ba et al. 2016): each sample is standardized over all of its own
 * values, (C, H, W) for images or the last axis for [N, D] input, then scaled
 * and shifted per channel:
 *
 *   y_n,c,h,w = γ_c · (x_n,c,h,w − μ_n) / √(σ²_n + ε) + β_c
 *
 * μ_n and σ²_n (biased) come from the sample itself, in training and inference
 * alike: there are no running statistics to go wrong under attack, which is
 * why the paper's Table 3 lists it among the "no moving average" norms.
 *
 * The standardization and its backward are BatchNorm's (batch-norm.ts) with
 * the group being one sample instead of one channel, and both statistics
 * always from the group. The affine part, per channel c:
 *   ∂L/∂β_c = Σ_{n,h,w} g,   ∂L/∂γ_c = Σ_{n,h,w} g · x̂,   ∂L/∂x̂ = γ_c · g.
 */
import { fastPathFor } from '../kernels/backend.js';
import { layerNormFused } from '../fast/layer-norm-fused.js';
import { record } from '../tensor/autograd.js';
import { formatShape } from '../tensor/shape.js';
import { allocate, ones, Tensor, zeros, type DType } from '../tensor/tensor.js';
import { nchw } from './channel-groups.js';
import { Module } from './module.js';
import { standardize, standardizeBackward, standardizeForward, type StandardizeStatistics } from './batch-norm.js';

/** LayerNorm of NCHW input: y = γ_c·(x − μ_n)/√(σ²_n + ε) + β_c, with μ_n and σ²_n (biased) over each sample's C·H·W values. */
export function layerNorm(x: Tensor, weight: Tensor, bias: Tensor, eps: number): Tensor {
  const [N, C, H, W] = nchw(x.shape, 'layerNorm');
  if (weight.size !== C || bias.size !== C) {
    throw new Error(`layerNorm: input ${formatShape(x.shape)} has ${C} channels but weight ${formatShape(weight.shape)} and bias ${formatShape(bias.shape)} must have ${C} values`);
  }
  const plane = H * W;
  const M = C * plane; // values per sample; sample n is the contiguous block [n·M, (n+1)·M)
  const channelOf = (k: number) => Math.floor(k / plane);
  const out = allocate(x.dtype, x.size);
  const saved: StandardizeStatistics[] = [];
  const values = new Float64Array(M);
  const normalized = new Float64Array(M);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < M; k++) values[k] = x.data[n * M + k] as number;
    saved.push(standardizeForward(values, { meanFromBatch: true, scaleFromBatch: true, eps }, normalized));
    for (let k = 0; k < M; k++) out[n * M + k] = (weight.data[channelOf(k)] as number) * (normalized[k] as number) + (bias.data[channelOf(k)] as number);
  }

  return record('layerNorm', new Tensor(out, x.shape), [x, weight, bias], (gradOut, needs) => {
    const gradX = allocate(x.dtype, x.size);
    const gradWeight = allocate(x.dtype, C);
    const gradBias = allocate(x.dtype, C);
    const gradNormalized = new Float64Array(M);
    const gradInput = new Float64Array(M);
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < M; k++) values[k] = x.data[n * M + k] as number;
      standardize(values, saved[n] as StandardizeStatistics, normalized); // x̂ again, rather than stored
      for (let k = 0; k < M; k++) {
        const c = channelOf(k);
        const g = gradOut.data[n * M + k] as number;
        gradBias[c] = (gradBias[c] as number) + g;
        gradWeight[c] = (gradWeight[c] as number) + g * (normalized[k] as number);
        gradNormalized[k] = (weight.data[c] as number) * g;
      }
      if (needs[0]) {
        standardizeBackward({ values, normalized, gradNormalized }, saved[n] as StandardizeStatistics, gradInput);
        gradX.set(gradInput, n * M);
      }
    }
    return [
      needs[0] ? new Tensor(gradX, x.shape) : null,
      needs[1] ? new Tensor(gradWeight, weight.shape) : null,
      needs[2] ? new Tensor(gradBias, bias.shape) : null,
    ];
  });
}

/** Options of {@link LayerNorm}: ε (default 1e-5) and dtype (float64 for gradient checks). */
export interface LayerNormOptions {
  eps?: number;
  dtype?: DType;
}

/** LayerNorm as a layer (see {@link layerNorm}): statistics from each sample itself, so there are no running averages. */
export class LayerNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;

  readonly eps: number;

  /** `channels` = C of [N, C, H, W] input, or D of [N, D] input. */
  constructor(readonly channels: number, options: LayerNormOptions = {}) {
    super();
    this.eps = options.eps ?? 1e-5;
    const dtype = options.dtype ?? 'float32';
    this.weight = this.registerParameter('weight', ones([channels], { dtype }));
    this.bias = this.registerParameter('bias', zeros([channels], { dtype }));
  }

  /** Normalizes each sample of `x` [N, C, H, W] over its own values. */
  forward(x: Tensor): Tensor {
    return this.normalize(x, false);
  }

  /** relu(forward(x)); the fused twin folds the ReLU into its loops (fused-relu.ts). */
  forwardRelu(x: Tensor): Tensor {
    return this.normalize(x, true);
  }

  private normalize(x: Tensor, relu: boolean): Tensor {
    // float32 runs the fused twin (src/fast/layer-norm-fused.ts, the same numbers) unless setBackend('reference')
    if (fastPathFor(x.dtype)) return layerNormFused(x, this.weight, this.bias, this.eps, relu);
    const y = layerNorm(x, this.weight, this.bias, this.eps);
    return relu ? y.relu() : y;
  }
}
