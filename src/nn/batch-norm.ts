/**
 * BatchNorm (Ioffe & Szegedy 2015; the paper's eq. 1–4), per channel over (N, H, W):
 *
 *   y = γ · (x − m) / √(v + ε) + β
 *
 * Training: m = μ_B, v = σ²_B (biased) of the batch, and the running averages
 * are updated with momentum τ (PyTorch's semantics; eq. 3 of the paper):
 *   μ̂ ← (1 − τ) μ̂ + τ μ_B
 *   σ̂² ← (1 − τ) σ̂² + τ σ²_B · M/(M − 1)     (the unbiased batch variance)
 *
 * Inference: m and v per `statistics` (norm-statistics.ts):
 *   population → μ̂, σ̂²;   batch → μ_B, σ²_B;   population-mean → μ̂, σ²_B.
 *
 * ── The standardization and its backward ────────────────────────────────────
 * Per channel, for values x₁ … x_M (LayerNorm applies the same per sample):
 *
 * Forward:
 *   μ_B = (1/M) Σ_k x_k                      the batch (group) mean
 *   σ²_B = (1/M) Σ_k (x_k − μ_B)²            the biased batch variance
 *   m = μ_B, or a running mean μ̂ (a constant) — the centre
 *   v = σ²_B, or a running variance σ̂² (a constant) — the spread
 *   s = 1 / √(v + ε)
 *   x̂_k = (x_k − m) · s
 *
 * Backward, given ∂L/∂x̂_k for every k. x_k reaches x̂ along up to three paths:
 * directly, through m (when m = μ_B) and through v (when v = σ²_B). By the
 * chain rule:
 *
 *   ∂L/∂x_k = ∂L/∂x̂_k · ∂x̂_k/∂x_k  +  ∂L/∂m · ∂m/∂x_k  +  ∂L/∂v · ∂v/∂x_k
 *
 * with
 *   ∂x̂_k/∂x_k (m and v held fixed) = s
 *   ∂L/∂m = Σ_j ∂L/∂x̂_j · ∂x̂_j/∂m = −s · Σ_j ∂L/∂x̂_j,         ∂μ_B/∂x_k = 1/M
 *   ∂L/∂v = Σ_j ∂L/∂x̂_j · ∂x̂_j/∂v = Σ_j ∂L/∂x̂_j · (x_j − m) · (−½)(v + ε)^(−3/2)
 *         = −½ s³ · Σ_j ∂L/∂x̂_j (x_j − m),                     ∂σ²_B/∂x_k = 2(x_k − μ_B)/M
 *
 * (σ²_B also depends on μ_B, but that path contributes ∂σ²_B/∂μ_B = −(2/M) Σ_j (x_j − μ_B) = 0.)
 * A statistic that is a running average is a constant: its path contributes nothing.
 *
 * The γ/β part (y = γ·x̂ + β, ∂L/∂γ, ∂L/∂β, ∂L/∂x̂ = γ·∂L/∂y) is in channel-norm.ts.
 *
 * ε placement: PyTorch's √(v + ε). The paper's code divides by √(unbiased
 * variance) + ε; we follow PyTorch (and the issue), and say so in reports.
 *
 * A single value per channel (M = 1, a [1, C] input): in training this is an
 * error (the unbiased variance M/(M − 1)·σ²_B is undefined, as in PyTorch); in
 * `batch` inference σ²_B = 0, so every output is β. A conv layer's [1, C, H, W]
 * input still has M = H·W > 1 values per channel, so σ²_B > 0 there and each
 * image is standardized by its own spatial statistics: clean accuracy at batch
 * size 1 stays close to that at larger batches, and what
 * falls at small batches in the paper's Figure 4 is accuracy under attack.
 */
import { formatShape } from '../tensor/shape.js';
import { ones, Tensor, zeros } from '../tensor/tensor.js';
import { channelNorm, type ChannelValues } from './channel-norm.js';
import type { FusesRelu } from './fused-relu.js';
import { nchw } from './channel-groups.js';
import { fastPathFor } from '../kernels/backend.js';
import { batchNorm2dFused } from '../fast/batch-norm-fused.js';
import { Module } from './module.js';
import { usesBatchStatistics, type BatchNormOptions, type BatchNormSettings, type BatchNormState, type BatchStatisticsUsed, type ChoosesStatistics, type NormStatistics } from './norm-statistics.js';

export type { BatchNormOptions, BatchNormSettings, BatchNormState } from './norm-statistics.js';

/** What one group's (channel's) standardization computed, kept for its backward pass. */
export interface StandardizeStatistics {
  /** μ_B and σ²_B of this group. */
  batchMean: number;
  batchVariance: number;
  /** The centre m and spread v actually used. */
  center: number;
  spread: number;
  /** s = 1/√(v + ε) */
  invStd: number;
  /** Whether m is μ_B and v is σ²_B (so gradients flow through them). */
  meanFromBatch: boolean;
  scaleFromBatch: boolean;
}

/** How {@link standardizeForward} standardizes a group: where m and v come from, and ε. */
export interface StandardizeOptions extends BatchStatisticsUsed {
  /** μ̂ and σ̂²: m and v where they do not come from the batch (absent for LayerNorm, which has none). */
  running?: { mean: number; variance: number };
  eps: number;
}

/** μ_B and the biased σ²_B of `values` (two passes, in float64). */
export function meanAndVariance(values: Float64Array): { mean: number; variance: number } {
  let sum = 0;
  for (let k = 0; k < values.length; k++) sum += values[k] as number;
  const mean = sum / values.length;
  let squares = 0;
  for (let k = 0; k < values.length; k++) squares += ((values[k] as number) - mean) ** 2;
  return { mean, variance: squares / values.length };
}

/** Picks m and v (batch, or running where `options` says so and has them) and computes x̂ into `normalized`. */
export function standardizeForward(values: Float64Array, options: StandardizeOptions, normalized: Float64Array): StandardizeStatistics {
  const { meanFromBatch, scaleFromBatch, running, eps } = options;
  const { mean: batchMean, variance: batchVariance } = meanAndVariance(values);
  const center = meanFromBatch || running === undefined ? batchMean : running.mean;
  const spread = scaleFromBatch || running === undefined ? batchVariance : running.variance;
  const invStd = 1 / Math.sqrt(spread + eps);
  const stats = { batchMean, batchVariance, center, spread, invStd, meanFromBatch, scaleFromBatch };
  standardize(values, stats, normalized);
  return stats;
}

/** x̂_k = (x_k − m) · s with the statistics forward chose (backward calls it again rather than storing x̂). */
export function standardize(values: Float64Array, stats: StandardizeStatistics, normalized: Float64Array): Float64Array {
  const { center, invStd } = stats;
  for (let k = 0; k < values.length; k++) normalized[k] = ((values[k] as number) - center) * invStd;
  return normalized;
}

/** ∂L/∂x for one group from ∂L/∂x̂ (the derivation is at the top of this file; it needs x − m, not x̂). */
export function standardizeBackward(channel: ChannelValues, stats: StandardizeStatistics, gradInput: Float64Array): Float64Array {
  const { values, gradNormalized } = channel;
  const M = values.length;
  const s = stats.invStd;
  // ∂L/∂m = −s · Σ_j ∂L/∂x̂_j                         (only when m = μ_B)
  let gradCenter = 0;
  // ∂L/∂v = −½ s³ · Σ_j ∂L/∂x̂_j (x_j − m)            (only when v = σ²_B)
  let gradSpread = 0;
  for (let j = 0; j < M; j++) {
    const g = gradNormalized[j] as number;
    gradCenter += g;
    gradSpread += g * ((values[j] as number) - stats.center);
  }
  gradCenter = stats.meanFromBatch ? -s * gradCenter : 0;
  gradSpread = stats.scaleFromBatch ? -0.5 * s * s * s * gradSpread : 0;
  // ∂L/∂x_k = ∂L/∂x̂_k · s  +  ∂L/∂m · (1/M)  +  ∂L/∂v · (2/M) · (x_k − μ_B)
  // (the two per-value factors computed once: a division per value is the slowest step of the loop)
  const gradCenterShare = gradCenter / M;
  const gradSpreadSlope = (gradSpread * 2) / M;
  for (let k = 0; k < M; k++) {
    gradInput[k] = (gradNormalized[k] as number) * s + gradCenterShare + gradSpreadSlope * ((values[k] as number) - stats.batchMean);
  }
  return gradInput;
}

/**
 * The BatchNorm computation as a function of (x, γ, β); the layer below calls it.
 * In training it also updates `state` in place.
 */
export function batchNorm2d(x: Tensor, weight: Tensor, bias: Tensor, state: BatchNormState, settings: BatchNormSettings): Tensor {
  const [N, , H, W] = nchw(x.shape, 'BatchNorm2d');
  const M = N * H * W;
  if (settings.training && M < 2) {
    throw new Error(`BatchNorm2d: training needs more than one value per channel to estimate the variance, got input ${formatShape(x.shape)}`);
  }
  const { meanFromBatch, scaleFromBatch } = usesBatchStatistics(settings.training, settings.statistics);
  const runningMean = state.runningMean.data;
  const runningVar = state.runningVar.data;
  const tau = settings.momentum;
  const y = channelNorm<StandardizeStatistics>('batchNorm2d', x, weight, bias, {
    forward: (values, c, normalized) => {
      const running = { mean: runningMean[c] as number, variance: runningVar[c] as number };
      const stats = standardizeForward(values, { meanFromBatch, scaleFromBatch, running, eps: settings.eps }, normalized);
      if (settings.training) {
        // μ̂ ← (1 − τ) μ̂ + τ μ_B;   σ̂² ← (1 − τ) σ̂² + τ σ²_B · M/(M − 1)
        runningMean[c] = (1 - tau) * running.mean + tau * stats.batchMean;
        runningVar[c] = (1 - tau) * running.variance + tau * stats.batchVariance * (M / (M - 1));
      }
      return stats;
    },
    normalize: standardize,
    backward: standardizeBackward,
  });
  return settings.relu === true ? y.relu() : y;
}

/**
 * BatchNorm over the channels of NCHW input: y = γ·(x − m)/√(v + ε) + β per channel, with batch
 * statistics in training (updating the running averages) and, at inference, the statistics `statistics` names.
 * See the file header for the full definition.
 */
export class BatchNorm2d extends Module implements ChoosesStatistics, FusesRelu {
  /** Marks this layer for `Module.setNormStatistics` ({@link ChoosesStatistics}). */
  readonly choosesStatistics = true as const;
  /** Inference statistics; `population` is ordinary BatchNorm. */
  statistics: NormStatistics = 'population';
  readonly eps: number;
  readonly momentum: number;
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked: Tensor;

  constructor(readonly channels: number, options: BatchNormOptions = {}) {
    super();
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    const dtype = { dtype: options.dtype ?? 'float32' } as const;
    this.weight = this.registerParameter('weight', ones([channels], dtype));
    this.bias = this.registerParameter('bias', zeros([channels], dtype));
    this.runningMean = this.registerBuffer('running_mean', zeros([channels], dtype));
    this.runningVar = this.registerBuffer('running_var', ones([channels], dtype));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', zeros([], dtype));
  }

  /** Normalizes `x` [N, C, H, W] per channel; in training mode also updates the running averages. */
  forward(x: Tensor): Tensor {
    return this.normalize(x, false);
  }

  /** relu(forward(x)); the fused twin folds the ReLU into its loops (fused-relu.ts). */
  forwardRelu(x: Tensor): Tensor {
    return this.normalize(x, true);
  }

  private normalize(x: Tensor, relu: boolean): Tensor {
    const settings = { training: this.training, statistics: this.statistics, eps: this.eps, momentum: this.momentum, relu };
    // float32 runs the fused twin (src/fast/batch-norm-fused.ts, the same numbers) unless setBackend('reference')
    const y = fastPathFor(x.dtype) ? batchNorm2dFused(x, this.weight, this.bias, this, settings) : batchNorm2d(x, this.weight, this.bias, this, settings);
    if (this.training) this.numBatchesTracked.data[0] = (this.numBatchesTracked.data[0] as number) + 1;
    return y;
  }
}
