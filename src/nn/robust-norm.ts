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
import { record } from '../tensor/autograd.js';
import { allocateToOverwrite, ones, Tensor, zeros, type DType } from '../tensor/tensor.js';
import { channelNorm, checkedChannelGroups, fusedNormGradients, type ChannelValues } from './channel-norm.js';
import type { FusesRelu } from './fused-relu.js';
import { nchw, type ChannelGroups } from './channel-groups.js';
import { sharedFloat64, splitLoop } from '../kernels/split-loop.js';
import { Module } from './module.js';
import { usesBatchStatistics, type BatchStatisticsUsed, type ChoosesStatistics, type NormStatistics } from './norm-statistics.js';

/** Options of {@link RobustNorm2d}: power p (default 0.2), ε, momentum τ, dtype. */
export interface RobustNormOptions {
  /** p in r^p (default 0.2, the paper's choice). */
  power?: number;
  eps?: number;
  /** τ in the running averages. */
  momentum?: number;
  /** float64 for gradient checks. */
  dtype?: DType;
}

/** How {@link rangeNormalizeForward} normalizes a channel: where m and r come from, p and ε. */
export interface RangeNormalizeOptions extends BatchStatisticsUsed {
  /** μ̂ and r̂: m and r where they do not come from the batch. */
  running: { mean: number; range: number };
  /** p in d = r^p + ε. */
  power: number;
  eps: number;
}

/** What one channel's forward pass computed, kept for its backward pass. */
export interface RangeStatistics {
  batchMean: number;
  batchMax: number;
  batchMin: number;
  batchRange: number;
  /** m and r actually used, p, and d = r^p + ε. */
  center: number;
  range: number;
  power: number;
  divisor: number;
  /** Whether m is μ_B and r is r_B (so gradients flow through them). */
  meanFromBatch: boolean;
  scaleFromBatch: boolean;
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

/** The running averages a RobustNorm layer keeps (updated in place during training). */
export interface RobustNormState {
  runningMean: Tensor;
  runningRange: Tensor;
}

/** Mode and constants of one {@link robustNorm2d} call. */
export interface RobustNormSettings {
  training: boolean;
  statistics: NormStatistics;
  power: number;
  eps: number;
  momentum: number;
  /**
   * float32 input runs `robustNorm2dFused` (the same numbers, faster)
   * unless this is false; float64 input always runs the readable path.
   */
  fused?: boolean;
  /** Apply a ReLU to the output: relu(RobustNorm(x)), folded into the fused loops (fused-relu.ts). */
  relu?: boolean;
}

/**
 * The RobustNorm computation as a function of (x, γ, β); the layer below calls
 * it. In training it also updates `state` in place.
 */
export function robustNorm2d(x: Tensor, weight: Tensor, bias: Tensor, state: RobustNormState, settings: RobustNormSettings): Tensor {
  nchw(x.shape, 'RobustNorm2d');
  if (x.dtype === 'float32' && settings.fused !== false) return robustNorm2dFused(x, weight, bias, state, settings);
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
 * {@link robustNorm2d} for float32 input, fused: the same formulas as the
 * readable path above (the derivation (★) is in the file header), computed in
 * float64 in the same order, so the same numbers bit for bit
 * (test/norms-fused.test.ts), but walking each channel's N runs of H·W values
 * in place. Forward makes 2 passes over a channel (Σx with max and min, then
 * y), backward 2 or 3 (the four sums, the tie counts when the range path
 * needs them, then ∂L/∂x), where the readable path copies each channel out
 * and back and makes 6 and 7. With `settings.relu` it computes
 * relu(RobustNorm(x)) (fused-relu.ts). Channels are independent, so on webasm
 * with a helper thread each loop runs half of them there (kernels/split-loop.ts).
 */
export function robustNorm2dFused(x: Tensor, weight: Tensor, bias: Tensor, state: RobustNormState, settings: RobustNormSettings): Tensor {
  const groups = checkedChannelGroups('robustNorm2d', x, weight, bias);
  const C = groups.channels;
  const { meanFromBatch, scaleFromBatch } = usesBatchStatistics(settings.training, settings.statistics);
  const runningMean = state.runningMean.data;
  const runningRange = state.runningRange.data;
  const channelInputs = sharedFloat64(4 * C);
  for (let c = 0; c < C; c++) channelInputs.set([runningMean[c] as number, runningRange[c] as number, weight.data[c] as number, bias.data[c] as number], 4 * c);
  const forward: RobustNormForwardTask = {
    ...groups,
    input: x.data as Float32Array,
    out: allocateToOverwrite(x.dtype, x.size) as Float32Array, // every value written by the loop
    channelInputs,
    channelStatistics: sharedFloat64(CHANNEL_STATISTICS * C),
    power: settings.power,
    eps: settings.eps,
    meanFromBatch,
    scaleFromBatch,
    // With population statistics at inference (every attack on a RobustNorm
    // model in eval mode) y needs neither μ_B nor r_B: skip their pass.
    needsBatchStatistics: settings.training || meanFromBatch || scaleFromBatch,
    relu: settings.relu === true,
  };
  splitLoop(robustNormForwardChannels, forward, C, x.size);
  if (settings.training) {
    const tau = settings.momentum;
    for (let c = 0; c < C; c++) {
      const at = CHANNEL_STATISTICS * c;
      const batchMean = forward.channelStatistics[at + 5] as number;
      const batchRange = (forward.channelStatistics[at + 3] as number) - (forward.channelStatistics[at + 4] as number);
      // μ̂ ← (1 − τ) μ̂ + τ μ_B;   r̂ ← (1 − τ) r̂ + τ r_B
      runningMean[c] = (1 - tau) * (runningMean[c] as number) + tau * batchMean;
      runningRange[c] = (1 - tau) * (runningRange[c] as number) + tau * batchRange;
    }
  }

  return record(forward.relu ? 'robustNorm2d+relu' : 'robustNorm2d', new Tensor(forward.out, x.shape), [x, weight, bias], (gradOut, needs) => {
    const backward: RobustNormBackwardTask = {
      ...forward,
      gradOut: gradOut.data as Float32Array,
      gradX: allocateToOverwrite(x.dtype, x.size) as Float32Array, // every value written by the loop (when needed)
      parameterGradients: sharedFloat64(2 * C),
      needsInputGradient: needs[0] === true,
      // Frozen γ, β and constant m, r (an attack on a model in eval mode): ∂L/∂x only
      frozen: !needs[1] && !needs[2] && !meanFromBatch && !scaleFromBatch,
    };
    splitLoop(robustNormBackwardChannels, backward, C, x.size);
    return fusedNormGradients(x, weight, bias, needs, backward.gradX, backward.parameterGradients);
  });
}

/** Values per channel in RobustNormForwardTask.channelStatistics: m, r, d, max, min, μ_B. */
const CHANNEL_STATISTICS = 6;

/** What {@link robustNormForwardChannels} reads and writes (in shared memory when split). */
interface RobustNormForwardTask extends ChannelGroups {
  input: Float32Array;
  out: Float32Array;
  /** Per channel c, at 4c … 4c+3: μ̂, r̂, γ, β. */
  channelInputs: Float64Array;
  /** Written per channel c, at 6c … 6c+5: m, r, d = r^p + ε, max, min, μ_B (for backward and the running averages). */
  channelStatistics: Float64Array;
  power: number;
  eps: number;
  meanFromBatch: boolean;
  scaleFromBatch: boolean;
  needsBatchStatistics: boolean;
  relu: boolean;
}

/**
 * The forward pass of channels [first, end): μ_B, max and min, then
 * y = γ · x̂ + β with x̂ = (x − m)/d (then max(y, 0) with `relu`, on the bits
 * as the relu op's clampRun does). Uses nothing but its arguments (split-loop.ts).
 */
function robustNormForwardChannels(task: RobustNormForwardTask, first: number, end: number): void {
  const { input, out, channelInputs, channelStatistics, runs, runLength, runStride, perChannel: M } = task;
  const outBits = new Int32Array(out.buffer, out.byteOffset, out.length);
  for (let c = first; c < end; c++) {
    let sum = 0;
    let batchMax = -Infinity;
    let batchMin = Infinity;
    // Loops over a run take four values a step, then the rest one by one:
    // the same operations in the same order as one at a time, measured
    // ≈1.3–1.9× faster (V8 checks the loop and the arrays once a step).
    for (let run = 0; run < runs && task.needsBatchStatistics; run++) {
      const start = run * runStride + c * runLength;
      const end = start + runLength;
      let i = start;
      for (; i + 3 < end; i += 4) {
        const value0 = input[i] as number;
        const value1 = input[i + 1] as number;
        const value2 = input[i + 2] as number;
        const value3 = input[i + 3] as number;
        sum += value0;
        sum += value1;
        sum += value2;
        sum += value3;
        if (value0 > batchMax) batchMax = value0;
        if (value0 < batchMin) batchMin = value0;
        if (value1 > batchMax) batchMax = value1;
        if (value1 < batchMin) batchMin = value1;
        if (value2 > batchMax) batchMax = value2;
        if (value2 < batchMin) batchMin = value2;
        if (value3 > batchMax) batchMax = value3;
        if (value3 < batchMin) batchMin = value3;
      }
      for (; i < end; i++) {
        const value = input[i] as number;
        sum += value;
        if (value > batchMax) batchMax = value;
        if (value < batchMin) batchMin = value;
      }
    }
    const batchMean = sum / M; // μ_B
    const center = task.meanFromBatch ? batchMean : (channelInputs[4 * c] as number); // m
    const range = task.scaleFromBatch ? batchMax - batchMin : (channelInputs[4 * c + 1] as number); // r
    const divisor = Math.pow(range, task.power) + task.eps; // d = r^p + ε
    channelStatistics.set([center, range, divisor, batchMax, batchMin, batchMean], 6 * c); // CHANNEL_STATISTICS per channel
    const gamma = channelInputs[4 * c + 2] as number;
    const beta = channelInputs[4 * c + 3] as number;
    for (let run = 0; run < runs; run++) {
      const start = run * runStride + c * runLength;
      const end = start + runLength;
      let i = start;
      // y = γ · x̂ + β,  x̂ = (x − m)/d
      for (; i + 3 < end; i += 4) {
        out[i] = gamma * (((input[i] as number) - center) / divisor) + beta;
        out[i + 1] = gamma * (((input[i + 1] as number) - center) / divisor) + beta;
        out[i + 2] = gamma * (((input[i + 2] as number) - center) / divisor) + beta;
        out[i + 3] = gamma * (((input[i + 3] as number) - center) / divisor) + beta;
      }
      for (; i < end; i++) out[i] = gamma * (((input[i] as number) - center) / divisor) + beta;
      if (!task.relu) continue;
      // max(y, 0): a float's bits are negative as an integer exactly when its sign is
      for (i = start; i < end; i++) {
        const bits = outBits[i] as number;
        outBits[i] = bits & ~(bits >> 31);
      }
    }
  }
}

/** What {@link robustNormBackwardChannels} reads and writes (in shared memory when split). */
interface RobustNormBackwardTask extends RobustNormForwardTask {
  gradOut: Float32Array;
  gradX: Float32Array;
  /** Written per channel c: ∂L/∂β at 2c, ∂L/∂γ at 2c+1. */
  parameterGradients: Float64Array;
  needsInputGradient: boolean;
  /** γ, β frozen and m, r constants: only ∂L/∂x = γ · g / d. */
  frozen: boolean;
}

/**
 * The backward pass (★) of channels [first, end) (g is ∂L/∂y, or with `relu`
 * ∂L/∂y where the output is > 0, else 0, masked into gradX first as the relu
 * op's maskRun does). Uses nothing but its arguments (split-loop.ts).
 */
function robustNormBackwardChannels(task: RobustNormBackwardTask, first: number, end: number): void {
  const { input, out, gradOut, gradX, channelInputs, channelStatistics, parameterGradients, runs, runLength, runStride, perChannel: M } = task;
  const g = task.relu ? gradX : gradOut;
  const outBits = new Int32Array(out.buffer, out.byteOffset, out.length);
  const gradOutBits = new Int32Array(gradOut.buffer, gradOut.byteOffset, gradOut.length);
  const gradXBits = new Int32Array(gradX.buffer, gradX.byteOffset, gradX.length);
  for (let c = first; c < end; c++) {
    const gamma = channelInputs[4 * c + 2] as number;
    const at = 6 * c; // CHANNEL_STATISTICS per channel
    const center = channelStatistics[at] as number; // m
    const range = channelStatistics[at + 1] as number; // r
    const d = channelStatistics[at + 2] as number; // r^p + ε
    const batchMax = channelStatistics[at + 3] as number;
    const batchMin = channelStatistics[at + 4] as number;
    for (let run = 0; run < runs && task.relu; run++) {
      const start = run * runStride + c * runLength;
      // ∂L/∂z = ∂L/∂y where y = max(z, 0) > 0 (as integers, a float's bits are > 0 exactly when it is), else +0
      for (let i = start; i < start + runLength; i++) gradXBits[i] = (gradOutBits[i] as number) & -Number((outBits[i] as number) > 0);
    }
    if (task.frozen) {
      // ∂L/∂x = γ · g / d (+ 0 keeps the result bit-identical to (★), whose
      // mean and range terms add +0 and ±0 here)
      // (four values a step, then the rest, as in the forward pass)
      for (let run = 0; run < runs; run++) {
        const start = run * runStride + c * runLength;
        const end = start + runLength;
        let i = start;
        for (; i + 3 < end; i += 4) {
          gradX[i] = (gamma * (g[i] as number)) / d + 0;
          gradX[i + 1] = (gamma * (g[i + 1] as number)) / d + 0;
          gradX[i + 2] = (gamma * (g[i + 2] as number)) / d + 0;
          gradX[i + 3] = (gamma * (g[i + 3] as number)) / d + 0;
        }
        for (; i < end; i++) gradX[i] = (gamma * (g[i] as number)) / d + 0;
      }
      continue;
    }
    let sumGrad = 0; // ∂L/∂β = Σ g
    let sumGradTimesNormalized = 0; // ∂L/∂γ = Σ g · x̂
    let sumGradNormalized = 0; // Σ ∂L/∂x̂,            ∂L/∂x̂ = γ · g
    let sumGradNormalizedTimesNormalized = 0; // Σ ∂L/∂x̂ · x̂
    for (let run = 0; run < runs; run++) {
      const start = run * runStride + c * runLength;
      for (let i = start; i < start + runLength; i++) {
        const grad = g[i] as number;
        const normalized = ((input[i] as number) - center) / d;
        sumGrad += grad;
        sumGradTimesNormalized += grad * normalized;
        const gradNormalized = gamma * grad;
        sumGradNormalized += gradNormalized;
        sumGradNormalizedTimesNormalized += gradNormalized * normalized;
      }
    }
    parameterGradients[2 * c] = sumGrad;
    parameterGradients[2 * c + 1] = sumGradTimesNormalized;
    if (!task.needsInputGradient) continue;
    const gradMean = task.meanFromBatch ? -sumGradNormalized / d : 0; // ∂L/∂m
    const gradDivisor = -sumGradNormalizedTimesNormalized / d; // ∂L/∂d
    const gradRange = task.scaleFromBatch && range > 0 ? gradDivisor * task.power * Math.pow(range, task.power - 1) : 0; // ∂L/∂r
    // How many values equal the max and the min (ties share ∂r/∂x). With
    // ∂L/∂r = 0 the range path adds ±0 whatever ∂r/∂x is, so they need not be counted.
    let maxCount = 1;
    let minCount = 1;
    if (gradRange !== 0) {
      maxCount = 0;
      minCount = 0;
      for (let run = 0; run < runs; run++) {
        const start = run * runStride + c * runLength;
        for (let i = start; i < start + runLength; i++) {
          if (input[i] === batchMax) maxCount++;
          if (input[i] === batchMin) minCount++;
        }
      }
    }
    for (let run = 0; run < runs; run++) {
      const start = run * runStride + c * runLength;
      for (let i = start; i < start + runLength; i++) {
        const value = input[i] as number;
        const rangeSlope = (value === batchMax ? 1 / maxCount : 0) - (value === batchMin ? 1 / minCount : 0); // ∂r/∂x
        // (★): direct path + mean path + range path
        gradX[i] = (gamma * (g[i] as number)) / d + gradMean / M + gradRange * rangeSlope;
      }
    }
  }
}

/**
 * RobustNorm (the paper's eq. 6) over the channels of NCHW input:
 * y = γ·(x − m)/(r^p + ε) + β per channel, with m the mean and r = max − min the range of the batch
 * (or their running averages, per `statistics`). The derivation of its backward pass is in the file header.
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

  /** relu(forward(x)), with the ReLU folded into the normalization's loops (fused-relu.ts). */
  forwardRelu(x: Tensor): Tensor {
    return this.normalize(x, true);
  }

  private normalize(x: Tensor, relu: boolean): Tensor {
    const settings = { training: this.training, statistics: this.statistics, power: this.power, eps: this.eps, momentum: this.momentum, relu };
    const y = robustNorm2d(x, this.weight, this.bias, this, settings);
    if (this.training) this.numBatchesTracked.data[0] = (this.numBatchesTracked.data[0] as number) + 1;
    return y;
  }
}

/**
 * RobustNorm written with autograd ops only (mean, max, min, pow, div), for
 * tests and lessons. Note that at a constant channel (r = 0) its gradient is
 * NaN: pow's backward evaluates p · 0^(p−1) = ∞ and multiplies it by the
 * zero slope of the range.
 */
export function robustNormComposed(
  x: Tensor, weight: Tensor, bias: Tensor,
  statistics: { meanFromBatch: boolean; scaleFromBatch: boolean; runningMean: Tensor; runningRange: Tensor; power: number; eps: number },
): Tensor {
  const [, C] = nchw(x.shape, 'robustNormComposed');
  const perChannel = x.rank === 4 ? [1, C, 1, 1] : [1, C];
  const axes = x.rank === 4 ? [0, 2, 3] : [0];
  const center = statistics.meanFromBatch ? x.mean(axes, true) : statistics.runningMean.reshape(perChannel);
  const range = statistics.scaleFromBatch ? x.max(axes, true).sub(x.min(axes, true)) : statistics.runningRange.reshape(perChannel);
  const normalized = x.sub(center).div(range.pow(statistics.power).add(statistics.eps));
  return normalized.mul(weight.reshape(perChannel)).add(bias.reshape(perChannel));
}
