/**
 * RobustNorm's two channel loops, the work of its fused float32 twin
 * (src/fast/robust-norm-fused.ts drives them on the shared driver of
 * fast/channel-norm-fused.ts; the formulas and their derivation are in
 * nn/robust-norm.ts). Each treats channels [first, end) of one layer call
 * on its own: a RangeLoop, so on webasm with a helper thread each runs half
 * of the channels there (split-loop.ts, helper-loops.ts).
 */
import { bitsOf } from '../elementwise-loops.js';
import { clampOutputRun, gradientOfNorm, maskChannelGradient, type FusedBackwardTask, type FusedForwardTask } from './channel-task.js';

/** RobustNorm's forward task: channelStatistics holds, per channel c at 6c … 6c+5, m, r, d = r^p + ε, max, min, μ_B. */
export type RobustNormForwardTask = FusedForwardTask & { power: number; eps: number };
export type RobustNormBackwardTask = FusedBackwardTask & { power: number; eps: number };

/** Values per channel in RobustNormForwardTask.channelStatistics: m, r, d, max, min, μ_B. */
export const CHANNEL_STATISTICS = 6;

/**
 * The forward pass of channels [first, end): μ_B, max and min, then
 * y = γ · x̂ + β with x̂ = (x − m)/d (then max(y, 0) with `relu`, on the bits
 * as the relu op does). A RangeLoop (split-loop.ts, helper-loops.ts).
 */
export function robustNormForwardChannels(task: RobustNormForwardTask, first: number, end: number): void {
  const { input, out, channelInputs, channelStatistics, runs, runLength, runStride, perChannel: M } = task;
  const outBits = bitsOf(out);
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
      clampOutputRun(task, outBits, start, end);
    }
  }
}

/**
 * The backward pass (★ in nn/robust-norm.ts) of channels [first, end) (g is ∂L/∂y, or with `relu`
 * ∂L/∂y where the output is > 0, else 0, masked into gradX first as the relu
 * op does). A RangeLoop (split-loop.ts, helper-loops.ts).
 */
export function robustNormBackwardChannels(task: RobustNormBackwardTask, first: number, end: number): void {
  const { input, gradX, channelInputs, channelStatistics, parameterGradients, runs, runLength, runStride, perChannel: M } = task;
  const g = gradientOfNorm(task);
  for (let c = first; c < end; c++) {
    const gamma = channelInputs[4 * c + 2] as number;
    const at = 6 * c; // CHANNEL_STATISTICS per channel
    const center = channelStatistics[at] as number; // m
    const range = channelStatistics[at + 1] as number; // r
    const d = channelStatistics[at + 2] as number; // r^p + ε
    const batchMax = channelStatistics[at + 3] as number;
    const batchMin = channelStatistics[at + 4] as number;
    maskChannelGradient(task, c);
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
