/**
 * RobustNorm (Awais, Shamshad & Bae, "Towards an Adversarially Robust
 * Normalization Approach", eq. 6), per channel over (N, H, W).
 *
 * ── Why ──────────────────────────────────────────────────────────────────────
 * BatchNorm divides by a standard deviation whose running average was
 * estimated on clean images. Adversarial inputs shift the batch's statistics
 * away from those estimates, and the network is then normalized wrongly. The
 * paper replaces the standard deviation with a power of the range (max − min),
 * computed from the batch being classified, so no estimate from training is
 * needed, and the power p < 1 damps how strongly the scale reacts.
 *
 * ── Forward ──────────────────────────────────────────────────────────────────
 * For one channel with values x₁ … x_M (M = N·H·W):
 *
 *   μ_B = (1/M) Σ_k x_k             the batch mean
 *   u_B = max_k x_k,  l_B = min_k x_k
 *   r_B = u_B − l_B                 the batch range
 *   d   = r^p + ε                   the divisor (p = 0.2 by default)
 *   x̂_k = (x_k − m) / d
 *   y_k = γ · x̂_k + β               (the γ/β part lives in channel-norm.ts)
 *
 * where m and r are chosen by mode:
 *   training and `batch`   m = μ_B,  r = r_B     (the paper's "RN")
 *   `population-mean`      m = μ̂,    r = r_B     (the paper's "RN w/ μ̂_P")
 *   `population`           m = μ̂,    r = r̂
 * and in training the running averages follow μ̂ ← (1 − τ) μ̂ + τ μ_B and
 * r̂ ← (1 − τ) r̂ + τ r_B (running range starts at 1, like BatchNorm's variance).
 *
 * ε placement: eq. 6 has no ε; like the paper's code we add it to the divisor,
 * r^p + ε (not inside the power), so a constant channel divides by ε, not 0.
 *
 * ── Backward ─────────────────────────────────────────────────────────────────
 * We are given ∂L/∂x̂_k for every k and want ∂L/∂x_k. The value x_k reaches the
 * output along three paths: directly through (x_k − m), through the mean m,
 * and through the range r (if it is the maximum or the minimum). The chain
 * rule adds them:
 *
 *   ∂L/∂x_k = ∂L/∂x̂_k · ∂x̂_k/∂x_k  +  ∂L/∂m · ∂m/∂x_k  +  ∂L/∂r · ∂r/∂x_k      (★)
 *
 * 1. The direct path, with m and d held fixed:
 *      ∂x̂_k/∂x_k = 1/d.
 *
 * 2. Through the mean (only when m = μ_B). Every x̂_j contains −m/d, so
 *      ∂L/∂m = Σ_j ∂L/∂x̂_j · (−1/d) = −(1/d) Σ_j ∂L/∂x̂_j,
 *    and μ_B = (1/M) Σ_k x_k gives ∂m/∂x_k = 1/M.
 *
 * 3. Through the range (only when r = r_B). First through the divisor:
 *      x̂_j = (x_j − m) · d⁻¹  ⇒  ∂x̂_j/∂d = −(x_j − m)/d² = −x̂_j/d,
 *      ∂L/∂d = −(1/d) Σ_j ∂L/∂x̂_j · x̂_j.
 *    Then through the power, d = r^p + ε:
 *      ∂d/∂r = p · r^(p−1),   so   ∂L/∂r = ∂L/∂d · p · r^(p−1).
 *    Then through max and min, r = u_B − l_B:
 *      ∂r/∂x_k = +1 if x_k is the maximum, −1 if it is the minimum, 0 otherwise.
 *    So only two values of the whole channel (the extremes) get this term.
 *
 *    Ties: if t values share the maximum, each gets +1/t (and likewise −1/t
 *    for a shared minimum) — the average of the one-hot subgradients, the same
 *    rule as `max`/`min` in src/ops/reduce.ts.
 *
 *    r = 0 (a constant channel, every value equal): every value is both a
 *    maximum and a minimum, so ∂r/∂x_k = 1/M − 1/M = 0, while p·r^(p−1) is
 *    infinite for p < 1. We take the range term as 0 (its ∂r/∂x factor), not
 *    0 · ∞ = NaN. (Composing autograd ops naively gives NaN here; see the tests.)
 *
 * Putting (★) together:
 *   ∂L/∂x_k = ∂L/∂x̂_k / d  −  (1/(M·d)) Σ_j ∂L/∂x̂_j          [mean, if m = μ_B]
 *                           +  ∂L/∂r · ∂r/∂x_k                 [range, if r = r_B]
 *
 * With population statistics both m and r are constants: ∂L/∂x_k = ∂L/∂x̂_k / d.
 */
import { ones, Tensor, zeros } from '../tensor/tensor.js';
import { channelNorm, type ChannelValues } from './channel-norm.js';
import type { FusesRelu } from './fused-relu.js';
import { nchw } from './channel-groups.js';
import { fastPathFor } from '../kernels/backend.js';
import { robustNorm2dFused } from '../fast/robust-norm-fused.js';
import { Module } from './module.js';
import { usesBatchStatistics, type BatchStatisticsUsed, type ChoosesStatistics, type NormStatistics, type RobustNormOptions, type RobustNormSettings, type RobustNormState } from './norm-statistics.js';

export type { RobustNormOptions, RobustNormSettings, RobustNormState } from './norm-statistics.js';

/** How {@link rangeNormalizeForward} normalizes a channel: where m and r come from, p and ε. */
export interface RangeNormalizeOptions extends BatchStatisticsUsed {
  /** μ̂ and r̂: m and r where they do not come from the batch. */
  running: { mean: number; range: number };
  /** p in d = r^p + ε. */
  power: number;
  eps: number;
}

/** What one channel's forward pass computed, kept for its backward pass. */
export interface RangeStatistics extends BatchStatisticsUsed {
  batchMean: number;
  batchMax: number;
  batchMin: number;
  batchRange: number;
  /** m and r actually used, p, and d = r^p + ε. */
  center: number;
  range: number;
  power: number;
  divisor: number;
  /** How many values share the maximum and the minimum (for the tie rule). */
  maxCount: number;
  minCount: number;
}

/** Forward for one channel: picks m and r, writes x̂_k = (x_k − m)/(r^p + ε) into `normalized`. */
export function rangeNormalizeForward(values: Float64Array, options: RangeNormalizeOptions, normalized: Float64Array): RangeStatistics {
  const { meanFromBatch, scaleFromBatch, running, power, eps } = options;
  const M = values.length;
  let sum = 0;
  let batchMax = -Infinity;
  let batchMin = Infinity;
  for (let k = 0; k < M; k++) {
    const value = values[k] as number;
    sum += value;
    if (value > batchMax) batchMax = value;
    if (value < batchMin) batchMin = value;
  }
  let maxCount = 0;
  let minCount = 0;
  for (let k = 0; k < M; k++) {
    if (values[k] === batchMax) maxCount++;
    if (values[k] === batchMin) minCount++;
  }
  const batchMean = sum / M;
  const batchRange = batchMax - batchMin;
  const center = meanFromBatch ? batchMean : running.mean;
  const range = scaleFromBatch ? batchRange : running.range;
  const divisor = Math.pow(range, power) + eps; // d = r^p + ε
  const stats = { batchMean, batchMax, batchMin, batchRange, center, range, power, divisor, meanFromBatch, scaleFromBatch, maxCount, minCount };
  rangeNormalize(values, stats, normalized);
  return stats;
}

/** x̂_k = (x_k − m)/d with the statistics forward chose (backward calls it again rather than storing x̂). */
export function rangeNormalize(values: Float64Array, stats: RangeStatistics, normalized: Float64Array): Float64Array {
  const { center, divisor } = stats;
  for (let k = 0; k < values.length; k++) normalized[k] = ((values[k] as number) - center) / divisor;
  return normalized;
}

/** Backward for one channel: ∂L/∂x from ∂L/∂x̂ (and x̂), following (★) above line by line. */
export function rangeNormalizeBackward(channel: ChannelValues, stats: RangeStatistics, gradInput: Float64Array): Float64Array {
  const { values, normalized, gradNormalized } = channel;
  const M = values.length;
  const d = stats.divisor;
  const power = stats.power;

  // Path 2, the mean: ∂L/∂m = −(1/d) Σ_j ∂L/∂x̂_j, and ∂m/∂x_k = 1/M.
  // Path 3, the range: ∂L/∂d = −(1/d) Σ_j ∂L/∂x̂_j · x̂_j.
  let sumGrad = 0;
  let sumGradTimesNormalized = 0;
  for (let j = 0; j < M; j++) {
    const g = gradNormalized[j] as number;
    sumGrad += g;
    sumGradTimesNormalized += g * (normalized[j] as number);
  }
  const gradMean = stats.meanFromBatch ? -sumGrad / d : 0;
  const gradDivisor = -sumGradTimesNormalized / d;

  // ∂L/∂r = ∂L/∂d · p · r^(p−1); defined as 0 when r = 0 (then ∂r/∂x_k = 0 for every k).
  const gradRange = stats.scaleFromBatch && stats.range > 0 ? gradDivisor * power * Math.pow(stats.range, power - 1) : 0;

  for (let k = 0; k < M; k++) {
    const value = values[k] as number;
    // ∂r/∂x_k = [x_k is a maximum]/#maxima − [x_k is a minimum]/#minima
    const rangeSlope = (value === stats.batchMax ? 1 / stats.maxCount : 0) - (value === stats.batchMin ? 1 / stats.minCount : 0);
    // (★): direct path + mean path + range path
    gradInput[k] = (gradNormalized[k] as number) / d + gradMean / M + gradRange * rangeSlope;
  }
  return gradInput;
}

/** The RobustNorm computation as a function of (x, γ, β), called by the layer below; in training it also updates `state` in place. */
export function robustNorm2d(x: Tensor, weight: Tensor, bias: Tensor, state: RobustNormState, settings: RobustNormSettings): Tensor {
  nchw(x.shape, 'RobustNorm2d');
  const { meanFromBatch, scaleFromBatch } = usesBatchStatistics(settings.training, settings.statistics);
  const runningMean = state.runningMean.data;
  const runningRange = state.runningRange.data;
  const tau = settings.momentum;
  const y = channelNorm<RangeStatistics>('robustNorm2d', x, weight, bias, {
    forward: (values, c, normalized) => {
      const running = { mean: runningMean[c] as number, range: runningRange[c] as number };
      const stats = rangeNormalizeForward(values, { meanFromBatch, scaleFromBatch, running, power: settings.power, eps: settings.eps }, normalized);
      if (settings.training) {
        // μ̂ ← (1 − τ) μ̂ + τ μ_B;   r̂ ← (1 − τ) r̂ + τ r_B
        runningMean[c] = (1 - tau) * running.mean + tau * stats.batchMean;
        runningRange[c] = (1 - tau) * running.range + tau * stats.batchRange;
      }
      return stats;
    },
    normalize: rangeNormalize,
    backward: rangeNormalizeBackward,
  });
  return settings.relu === true ? y.relu() : y;
}

/**
 * RobustNorm (eq. 6) over the channels of NCHW input: y = γ·(x − m)/(r^p + ε) + β per channel, m the mean and
 * r = max − min the range of the batch (or their running averages, per `statistics`); derivation in the file header.
 */
export class RobustNorm2d extends Module implements ChoosesStatistics, FusesRelu {
  /** Marks this layer for `Module.setNormStatistics` ({@link ChoosesStatistics}). */
  readonly choosesStatistics = true as const;
  /** Inference statistics; `batch` is the paper's RobustNorm. */
  statistics: NormStatistics = 'batch';
  readonly power: number;
  readonly eps: number;
  readonly momentum: number;
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningRange: Tensor;
  readonly numBatchesTracked: Tensor;

  constructor(readonly channels: number, options: RobustNormOptions = {}) {
    super();
    this.power = options.power ?? 0.2;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    if (!(this.power > 0)) throw new Error(`RobustNorm2d: power must be positive, got ${this.power}`);
    const dtype = { dtype: options.dtype ?? 'float32' } as const;
    this.weight = this.registerParameter('weight', ones([channels], dtype));
    this.bias = this.registerParameter('bias', zeros([channels], dtype));
    this.runningMean = this.registerBuffer('running_mean', zeros([channels], dtype));
    this.runningRange = this.registerBuffer('running_range', ones([channels], dtype));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', zeros([], dtype));
  }

  /** Normalizes `x` [N, C, H, W] per channel; in training mode also updates the running mean and range. */
  forward(x: Tensor): Tensor {
    return this.normalize(x, false);
  }

  /** relu(forward(x)); the fused twin folds the ReLU into its loops (fused-relu.ts). */
  forwardRelu(x: Tensor): Tensor {
    return this.normalize(x, true);
  }

  private normalize(x: Tensor, relu: boolean): Tensor {
    const settings = { training: this.training, statistics: this.statistics, power: this.power, eps: this.eps, momentum: this.momentum, relu };
    // float32 runs the fused twin (src/fast/robust-norm-fused.ts, the same numbers) unless setBackend('reference')
    const y = fastPathFor(x.dtype) ? robustNorm2dFused(x, this.weight, this.bias, this, settings) : robustNorm2d(x, this.weight, this.bias, this, settings);
    if (this.training) this.numBatchesTracked.data[0] = (this.numBatchesTracked.data[0] as number) + 1;
    return y;
  }
}
