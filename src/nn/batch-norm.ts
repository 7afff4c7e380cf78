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
import { record } from '../tensor/autograd.js';
import { allocateToOverwrite, ones, Tensor, zeros, type DType } from '../tensor/tensor.js';
import { channelNorm, checkedChannelGroups, fusedNormGradients, type ChannelValues } from './channel-norm.js';
import type { FusesRelu } from './fused-relu.js';
import { nchw, type ChannelGroups } from './channel-groups.js';
import { sharedFloat64, splitLoop } from '../kernels/split-loop.js';
import { Module } from './module.js';
import { usesBatchStatistics, type BatchStatisticsUsed, type ChoosesStatistics, type NormStatistics } from './norm-statistics.js';

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

/** Options of {@link BatchNorm2d}: ε (default 1e-5), momentum τ (default 0.1), dtype. */
export interface BatchNormOptions {
  eps?: number;
  /** τ in μ̂ ← (1 − τ) μ̂ + τ μ_B. */
  momentum?: number;
  /** float64 for gradient checks. */
  dtype?: DType;
}

/** The running averages a BatchNorm layer keeps (updated in place during training). */
export interface BatchNormState {
  runningMean: Tensor;
  runningVar: Tensor;
}

/** Mode and constants of one {@link batchNorm2d} call. */
export interface BatchNormSettings {
  training: boolean;
  statistics: NormStatistics;
  eps: number;
  momentum: number;
  /**
   * float32 input runs `batchNorm2dFused` (the same numbers, faster)
   * unless this is false; float64 input always runs the readable path.
   */
  fused?: boolean;
  /** Apply a ReLU to the output: relu(BatchNorm(x)), folded into the fused loops (fused-relu.ts). */
  relu?: boolean;
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
  if (x.dtype === 'float32' && settings.fused !== false) return batchNorm2dFused(x, weight, bias, state, settings);
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
 * {@link batchNorm2d} for float32 input, fused: the same formulas (file header,
 * above and channel-norm.ts), computed in float64 in the same order,
 * so the same numbers bit for bit (test/norms-fused.test.ts), but walking each
 * channel's N runs of H·W values in place. Forward makes 3 passes over a
 * channel (Σx, Σ(x − μ_B)², then y), backward 2 (the four sums, then ∂L/∂x),
 * where the readable path copies each channel out and back and makes 6 and 7.
 * With `settings.relu` it computes relu(BatchNorm(x)) (fused-relu.ts).
 * Channels are independent, so on webasm with a helper thread each loop runs
 * half of them there (kernels/split-loop.ts).
 */
export function batchNorm2dFused(x: Tensor, weight: Tensor, bias: Tensor, state: BatchNormState, settings: BatchNormSettings): Tensor {
  const groups = checkedChannelGroups('batchNorm2d', x, weight, bias);
  const { channels: C, perChannel: M } = groups;
  if (settings.training && M < 2) {
    throw new Error(`BatchNorm2d: training needs more than one value per channel to estimate the variance, got input ${formatShape(x.shape)}`);
  }
  const { meanFromBatch, scaleFromBatch } = usesBatchStatistics(settings.training, settings.statistics);
  const runningMean = state.runningMean.data;
  const runningVar = state.runningVar.data;
  const channelInputs = sharedFloat64(4 * C);
  for (let c = 0; c < C; c++) channelInputs.set([runningMean[c] as number, runningVar[c] as number, weight.data[c] as number, bias.data[c] as number], 4 * c);
  const forward: BatchNormForwardTask = {
    ...groups,
    input: x.data as Float32Array,
    out: allocateToOverwrite(x.dtype, x.size) as Float32Array, // every value written by the loop
    channelInputs,
    channelStatistics: sharedFloat64(4 * C),
    eps: settings.eps,
    meanFromBatch,
    scaleFromBatch,
    // With population statistics at inference (every attack on a BatchNorm model
    // in eval mode) y needs neither μ_B nor σ²_B: skip their two passes.
    needsBatchStatistics: settings.training || meanFromBatch || scaleFromBatch,
    relu: settings.relu === true,
  };
  splitLoop(batchNormForwardChannels, forward, C, x.size);
  if (settings.training) {
    const tau = settings.momentum;
    for (let c = 0; c < C; c++) {
      const batchMean = forward.channelStatistics[4 * c + 2] as number;
      const batchVariance = forward.channelStatistics[4 * c + 3] as number;
      // μ̂ ← (1 − τ) μ̂ + τ μ_B;   σ̂² ← (1 − τ) σ̂² + τ σ²_B · M/(M − 1)
      runningMean[c] = (1 - tau) * (runningMean[c] as number) + tau * batchMean;
      runningVar[c] = (1 - tau) * (runningVar[c] as number) + tau * batchVariance * (M / (M - 1));
    }
  }

  return record(forward.relu ? 'batchNorm2d+relu' : 'batchNorm2d', new Tensor(forward.out, x.shape), [x, weight, bias], (gradOut, needs) => {
    const backward: BatchNormBackwardTask = {
      ...forward,
      gradOut: gradOut.data as Float32Array,
      gradX: allocateToOverwrite(x.dtype, x.size) as Float32Array, // every value written by the loop (when needed)
      parameterGradients: sharedFloat64(2 * C),
      needsInputGradient: needs[0] === true,
      // Frozen γ, β and constant m, v (an attack on a model in eval mode): ∂L/∂x only
      frozen: !needs[1] && !needs[2] && !meanFromBatch && !scaleFromBatch,
    };
    splitLoop(batchNormBackwardChannels, backward, C, x.size);
    return fusedNormGradients(x, weight, bias, needs, backward.gradX, backward.parameterGradients);
  });
}

/** What {@link batchNormForwardChannels} reads and writes (in shared memory when split). */
interface BatchNormForwardTask extends ChannelGroups {
  input: Float32Array;
  out: Float32Array;
  /** Per channel c, at 4c … 4c+3: μ̂, σ̂², γ, β. */
  channelInputs: Float64Array;
  /** Written per channel c, at 4c … 4c+3: m, s = 1/√(v + ε), μ_B, σ²_B (for backward and the running averages). */
  channelStatistics: Float64Array;
  eps: number;
  meanFromBatch: boolean;
  scaleFromBatch: boolean;
  needsBatchStatistics: boolean;
  relu: boolean;
}

/**
 * The forward pass of channels [first, end): μ_B, σ²_B, then y = γ · x̂ + β
 * with x̂ = (x − m) · s (then max(y, 0) with `relu`, on the bits as the relu
 * op's clampRun does). Uses nothing but its arguments (split-loop.ts).
 */
function batchNormForwardChannels(task: BatchNormForwardTask, first: number, end: number): void {
  const { input, out, channelInputs, channelStatistics, runs, runLength, runStride, perChannel: M } = task;
  const outBits = new Int32Array(out.buffer, out.byteOffset, out.length);
  for (let c = first; c < end; c++) {
    let batchMean = 0; // μ_B
    let batchVariance = 0; // σ²_B
    if (task.needsBatchStatistics) {
      // Every loop over a run here takes four values a step, then the rest
      // one by one: the same operations in the same order as one at a time,
      // and measured ≈1.3–1.9× faster (V8 checks the loop and the arrays once a step).
      let sum = 0;
      for (let run = 0; run < runs; run++) {
        const start = run * runStride + c * runLength;
        const end = start + runLength;
        let i = start;
        for (; i + 3 < end; i += 4) {
          sum += input[i] as number;
          sum += input[i + 1] as number;
          sum += input[i + 2] as number;
          sum += input[i + 3] as number;
        }
        for (; i < end; i++) sum += input[i] as number;
      }
      batchMean = sum / M;
      let squares = 0;
      for (let run = 0; run < runs; run++) {
        const start = run * runStride + c * runLength;
        const end = start + runLength;
        let i = start;
        for (; i + 3 < end; i += 4) {
          squares += ((input[i] as number) - batchMean) ** 2;
          squares += ((input[i + 1] as number) - batchMean) ** 2;
          squares += ((input[i + 2] as number) - batchMean) ** 2;
          squares += ((input[i + 3] as number) - batchMean) ** 2;
        }
        for (; i < end; i++) squares += ((input[i] as number) - batchMean) ** 2;
      }
      batchVariance = squares / M;
    }
    const center = task.meanFromBatch ? batchMean : (channelInputs[4 * c] as number);
    const invStd = 1 / Math.sqrt((task.scaleFromBatch ? batchVariance : (channelInputs[4 * c + 1] as number)) + task.eps);
    channelStatistics[4 * c] = center;
    channelStatistics[4 * c + 1] = invStd;
    channelStatistics[4 * c + 2] = batchMean;
    channelStatistics[4 * c + 3] = batchVariance;
    const gamma = channelInputs[4 * c + 2] as number;
    const beta = channelInputs[4 * c + 3] as number;
    for (let run = 0; run < runs; run++) {
      const start = run * runStride + c * runLength;
      const end = start + runLength;
      let i = start;
      for (; i + 3 < end; i += 4) {
        out[i] = gamma * (((input[i] as number) - center) * invStd) + beta;
        out[i + 1] = gamma * (((input[i + 1] as number) - center) * invStd) + beta;
        out[i + 2] = gamma * (((input[i + 2] as number) - center) * invStd) + beta;
        out[i + 3] = gamma * (((input[i + 3] as number) - center) * invStd) + beta;
      }
      for (; i < end; i++) out[i] = gamma * (((input[i] as number) - center) * invStd) + beta;
      if (!task.relu) continue;
      // max(y, 0): a float's bits are negative as an integer exactly when its sign is
      for (i = start; i < end; i++) {
        const bits = outBits[i] as number;
        outBits[i] = bits & ~(bits >> 31);
      }
    }
  }
}

/** What {@link batchNormBackwardChannels} reads and writes (in shared memory when split). */
interface BatchNormBackwardTask extends BatchNormForwardTask {
  gradOut: Float32Array;
  gradX: Float32Array;
  /** Written per channel c: ∂L/∂β at 2c, ∂L/∂γ at 2c+1. */
  parameterGradients: Float64Array;
  needsInputGradient: boolean;
  /** γ, β frozen and m, v constants: only ∂L/∂x = γ · g · s. */
  frozen: boolean;
}

/**
 * The backward pass of channels [first, end) (the derivation is in the file
 * header; g is ∂L/∂y, or with `relu` ∂L/∂y where the output is > 0, else 0,
 * masked into gradX first as the relu op's maskRun does). Uses nothing but
 * its arguments (split-loop.ts).
 */
function batchNormBackwardChannels(task: BatchNormBackwardTask, first: number, end: number): void {
  const { input, out, gradOut, gradX, channelInputs, channelStatistics, parameterGradients, runs, runLength, runStride, perChannel: M } = task;
  const g = task.relu ? gradX : gradOut;
  const outBits = new Int32Array(out.buffer, out.byteOffset, out.length);
  const gradOutBits = new Int32Array(gradOut.buffer, gradOut.byteOffset, gradOut.length);
  const gradXBits = new Int32Array(gradX.buffer, gradX.byteOffset, gradX.length);
  for (let c = first; c < end; c++) {
    const gamma = channelInputs[4 * c + 2] as number;
    const center = channelStatistics[4 * c] as number; // m
    const s = channelStatistics[4 * c + 1] as number; // 1/√(v + ε)
    const batchMean = channelStatistics[4 * c + 2] as number; // μ_B
    for (let run = 0; run < runs && task.relu; run++) {
      const start = run * runStride + c * runLength;
      // ∂L/∂z = ∂L/∂y where y = max(z, 0) > 0 (as integers, a float's bits are > 0 exactly when it is), else +0
      for (let i = start; i < start + runLength; i++) gradXBits[i] = (gradOutBits[i] as number) & -Number((outBits[i] as number) > 0);
    }
    if (task.frozen) {
      // ∂L/∂x = γ · g · s (+ 0 keeps the result bit-identical to the full
      // formula's, whose ∂L/∂m and ∂L/∂v terms are +0 here)
      // (four values a step, then the rest, as in the forward pass)
      for (let run = 0; run < runs; run++) {
        const start = run * runStride + c * runLength;
        const end = start + runLength;
        let i = start;
        for (; i + 3 < end; i += 4) {
          gradX[i] = gamma * (g[i] as number) * s + 0;
          gradX[i + 1] = gamma * (g[i + 1] as number) * s + 0;
          gradX[i + 2] = gamma * (g[i + 2] as number) * s + 0;
          gradX[i + 3] = gamma * (g[i + 3] as number) * s + 0;
        }
        for (; i < end; i++) gradX[i] = gamma * (g[i] as number) * s + 0;
      }
      continue;
    }
    let sumGrad = 0; // ∂L/∂β = Σ g
    let sumGradTimesNormalized = 0; // ∂L/∂γ = Σ g · x̂
    let sumGradNormalized = 0; // Σ ∂L/∂x̂,           ∂L/∂x̂ = γ · g
    let sumGradNormalizedTimesCentered = 0; // Σ ∂L/∂x̂ · (x − m)
    for (let run = 0; run < runs; run++) {
      const start = run * runStride + c * runLength;
      for (let i = start; i < start + runLength; i++) {
        const grad = g[i] as number;
        const centered = (input[i] as number) - center;
        sumGrad += grad;
        sumGradTimesNormalized += grad * (centered * s);
        const gradNormalized = gamma * grad;
        sumGradNormalized += gradNormalized;
        sumGradNormalizedTimesCentered += gradNormalized * centered;
      }
    }
    parameterGradients[2 * c] = sumGrad;
    parameterGradients[2 * c + 1] = sumGradTimesNormalized;
    if (!task.needsInputGradient) continue;
    const gradCenter = task.meanFromBatch ? -s * sumGradNormalized : 0; // ∂L/∂m
    const gradSpread = task.scaleFromBatch ? -0.5 * s * s * s * sumGradNormalizedTimesCentered : 0; // ∂L/∂v
    const gradCenterShare = gradCenter / M;
    const gradSpreadSlope = (gradSpread * 2) / M;
    for (let run = 0; run < runs; run++) {
      const start = run * runStride + c * runLength;
      const end = start + runLength;
      let i = start;
      // ∂L/∂x = ∂L/∂x̂ · s + ∂L/∂m · (1/M) + ∂L/∂v · (2/M) · (x − μ_B)
      for (; i + 3 < end; i += 4) {
        gradX[i] = gamma * (g[i] as number) * s + gradCenterShare + gradSpreadSlope * ((input[i] as number) - batchMean);
        gradX[i + 1] = gamma * (g[i + 1] as number) * s + gradCenterShare + gradSpreadSlope * ((input[i + 1] as number) - batchMean);
        gradX[i + 2] = gamma * (g[i + 2] as number) * s + gradCenterShare + gradSpreadSlope * ((input[i + 2] as number) - batchMean);
        gradX[i + 3] = gamma * (g[i + 3] as number) * s + gradCenterShare + gradSpreadSlope * ((input[i + 3] as number) - batchMean);
      }
      for (; i < end; i++) {
        gradX[i] = gamma * (g[i] as number) * s + gradCenterShare + gradSpreadSlope * ((input[i] as number) - batchMean);
      }
    }
  }
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

  /** relu(forward(x)), with the ReLU folded into the normalization's loops (fused-relu.ts). */
  forwardRelu(x: Tensor): Tensor {
    return this.normalize(x, true);
  }

  private normalize(x: Tensor, relu: boolean): Tensor {
    const y = batchNorm2d(x, this.weight, this.bias, this, { training: this.training, statistics: this.statistics, eps: this.eps, momentum: this.momentum, relu });
    if (this.training) this.numBatchesTracked.data[0] = (this.numBatchesTracked.data[0] as number) + 1;
    return y;
  }
}

/**
 * The same layer written with autograd ops only, for tests and lessons: its
 * gradient comes from composing the ops' backward passes, an independent
 * check on the hand-derived one.
 */
export function batchNormComposed(
  x: Tensor, weight: Tensor, bias: Tensor,
  statistics: { meanFromBatch: boolean; scaleFromBatch: boolean; runningMean: Tensor; runningVar: Tensor; eps: number },
): Tensor {
  const [, C] = nchw(x.shape, 'batchNormComposed');
  const perChannel = x.rank === 4 ? [1, C, 1, 1] : [1, C];
  const axes = x.rank === 4 ? [0, 2, 3] : [0];
  const batchMean = x.mean(axes, true);
  const batchVariance = x.sub(batchMean).pow(2).mean(axes, true);
  const center = statistics.meanFromBatch ? batchMean : statistics.runningMean.reshape(perChannel);
  const spread = statistics.scaleFromBatch ? batchVariance : statistics.runningVar.reshape(perChannel);
  const normalized = x.sub(center).div(spread.add(statistics.eps).sqrt());
  return normalized.mul(weight.reshape(perChannel)).add(bias.reshape(perChannel));
}
