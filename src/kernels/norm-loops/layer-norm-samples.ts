/**
 * LayerNorm's loops, the work of its fused float32 twin
 * (src/fast/layer-norm-fused.ts drives them; the formulas and their
 * derivation are in nn/layer-norm.ts and nn/batch-norm.ts). LayerNorm's group
 * is one sample, the contiguous block [n·M, (n+1)·M) of its M = C·H·W values,
 * and γ, β are per channel, so:
 * - the forward loop and the ∂L/∂x loop treat samples [first, end) on their own;
 * - ∂L/∂γ and ∂L/∂β sum over every sample, so their loop treats channels
 *   [first, end), each over all samples in order (the readable path's order:
 *   the same sums, bit for bit).
 * Each is a RangeLoop: on webasm with a helper thread each runs half of its
 * range there (split-loop.ts, helper-loops.ts).
 */
import { bitsOf, clampBits, maskBits } from '../elementwise-loops.js';
import { gradientOfNorm } from './channel-task.js';

/** Where the values lie and what the loops share (one task per layer call, in shared memory when split). */
export interface LayerNormTask {
  input: Float32Array;
  out: Float32Array;
  samples: number;
  channels: number;
  /** H·W: channel c of sample n is [n·M + c·plane, n·M + (c+1)·plane). */
  plane: number;
  /** γ_c at 2c, β_c at 2c+1. */
  channelParameters: Float64Array;
  /** Written by the forward loop: per sample n, μ_n at 2n and s_n = 1/√(σ²_n + ε) at 2n+1. */
  sampleStatistics: Float64Array;
  eps: number;
  relu: boolean;
}

/** What the two backward loops add. */
export interface LayerNormBackwardTask extends LayerNormTask {
  gradOut: Float32Array;
  /** ∂L/∂x; with `relu`, first the masked ∂L/∂z (layerNormMaskSamples), which the other two loops read as g. */
  gradX: Float32Array;
  /** Written per channel c: ∂L/∂β at 2c, ∂L/∂γ at 2c+1. */
  parameterGradients: Float64Array;
}

/**
 * The forward pass of samples [first, end): μ_n, σ²_n (biased), then
 * y = γ_c · ((x − μ_n) · s_n) + β_c (then max(y, 0) with `relu`, on the bits
 * as the relu op does). A RangeLoop.
 */
export function layerNormForwardSamples(task: LayerNormTask, first: number, end: number): void {
  const { input, out, channels, plane, channelParameters, sampleStatistics, eps } = task;
  const M = channels * plane;
  const outBits = bitsOf(out);
  for (let n = first; n < end; n++) {
    const start = n * M;
    let sum = 0;
    for (let i = start; i < start + M; i++) sum += input[i] as number;
    const mean = sum / M;
    let squares = 0;
    for (let i = start; i < start + M; i++) squares += ((input[i] as number) - mean) ** 2;
    const invStd = 1 / Math.sqrt(squares / M + eps);
    sampleStatistics[2 * n] = mean;
    sampleStatistics[2 * n + 1] = invStd;
    for (let c = 0; c < channels; c++) {
      const gamma = channelParameters[2 * c] as number;
      const beta = channelParameters[2 * c + 1] as number;
      const runStart = start + c * plane;
      for (let i = runStart; i < runStart + plane; i++) out[i] = gamma * (((input[i] as number) - mean) * invStd) + beta;
    }
    if (task.relu) clampBits(outBits, outBits, start, start + M);
  }
}

/** With `relu`: ∂L/∂z = ∂L/∂y where y > 0, else +0, for samples [first, end), into gradX (the relu op's rule). A RangeLoop. */
export function layerNormMaskSamples(task: LayerNormBackwardTask, first: number, end: number): void {
  const M = task.channels * task.plane;
  maskBits(bitsOf(task.out), bitsOf(task.gradOut), bitsOf(task.gradX), first * M, end * M);
}

/**
 * ∂L/∂β_c = Σ_{n,h,w} g and ∂L/∂γ_c = Σ_{n,h,w} g · x̂ for channels [first, end),
 * samples in order, each sum rounded to float32 after every term as the
 * readable path's float32 accumulators are. A RangeLoop.
 */
export function layerNormParameterChannels(task: LayerNormBackwardTask, first: number, end: number): void {
  const { input, channels, plane, samples, sampleStatistics, parameterGradients } = task;
  const M = channels * plane;
  const g = gradientOfNorm(task);
  for (let c = first; c < end; c++) {
    let sumGrad = 0;
    let sumGradTimesNormalized = 0;
    for (let n = 0; n < samples; n++) {
      const mean = sampleStatistics[2 * n] as number;
      const invStd = sampleStatistics[2 * n + 1] as number;
      const runStart = n * M + c * plane;
      for (let i = runStart; i < runStart + plane; i++) {
        const grad = g[i] as number;
        sumGrad = Math.fround(sumGrad + grad);
        sumGradTimesNormalized = Math.fround(sumGradTimesNormalized + grad * (((input[i] as number) - mean) * invStd));
      }
    }
    parameterGradients[2 * c] = sumGrad;
    parameterGradients[2 * c + 1] = sumGradTimesNormalized;
  }
}

/**
 * ∂L/∂x for samples [first, end), with ∂L/∂x̂ = γ_c · g and both statistics
 * the sample's own (nn/batch-norm.ts, standardizeBackward):
 *   ∂L/∂x = ∂L/∂x̂ · s + ∂L/∂μ · (1/M) + ∂L/∂σ² · (2/M) · (x − μ),
 *   ∂L/∂μ = −s · Σ ∂L/∂x̂,   ∂L/∂σ² = −½ s³ · Σ ∂L/∂x̂ · (x − μ).
 * Reads g before writing ∂L/∂x over it (with `relu`, both are gradX). A RangeLoop.
 */
export function layerNormInputSamples(task: LayerNormBackwardTask, first: number, end: number): void {
  const { input, gradX, channels, plane, channelParameters, sampleStatistics } = task;
  const M = channels * plane;
  const g = gradientOfNorm(task);
  for (let n = first; n < end; n++) {
    const start = n * M;
    const mean = sampleStatistics[2 * n] as number;
    const s = sampleStatistics[2 * n + 1] as number;
    let sumGradNormalized = 0;
    let sumGradNormalizedTimesCentered = 0;
    for (let c = 0; c < channels; c++) {
      const gamma = channelParameters[2 * c] as number;
      const runStart = start + c * plane;
      for (let i = runStart; i < runStart + plane; i++) {
        const gradNormalized = gamma * (g[i] as number);
        sumGradNormalized += gradNormalized;
        sumGradNormalizedTimesCentered += gradNormalized * ((input[i] as number) - mean);
      }
    }
    const gradMean = -s * sumGradNormalized;
    const gradVariance = -0.5 * s * s * s * sumGradNormalizedTimesCentered;
    const gradMeanShare = gradMean / M;
    const gradVarianceSlope = (gradVariance * 2) / M;
    for (let c = 0; c < channels; c++) {
      const gamma = channelParameters[2 * c] as number;
      const runStart = start + c * plane;
      for (let i = runStart; i < runStart + plane; i++) {
        gradX[i] = gamma * (g[i] as number) * s + gradMeanShare + gradVarianceSlope * ((input[i] as number) - mean);
      }
    }
  }
}
