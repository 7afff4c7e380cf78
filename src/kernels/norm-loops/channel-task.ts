/**
 * What a fused norm's channel loops (batch-norm-channels.ts,
 * robust-norm-channels.ts) read and write: one task object per layer call,
 * in shared memory when the loop is split over the webasm backend's two
 * threads (split-loop.ts). src/fast/channel-norm-fused.ts fills it. Also
 * the ReLU's two steps, which both norms' loops apply to a channel alike.
 */
import { bitsOf, clampBits, maskBits } from '../elementwise-loops.js';

/** Where channel c's values lie in an NCHW buffer: `runs` runs of `runLength` values, `runStride` apart, the first at c · runLength (nn/channel-groups.ts computes it). */
export interface ChannelRuns {
  channels: number;
  perChannel: number;
  runs: number;
  runLength: number;
  runStride: number;
}

/** What a fused norm's forward channel loop reads and writes (in shared memory when split). */
export interface FusedForwardTask extends ChannelRuns {
  input: Float32Array;
  out: Float32Array;
  /** Per channel c, at 4c … 4c+3: the running centre (μ̂), the running scale (σ̂² or r̂), γ, β. */
  channelInputs: Float64Array;
  /** Written per channel by the forward loop, for backward and the running averages (the layout is the norm's). */
  channelStatistics: Float64Array;
  meanFromBatch: boolean;
  scaleFromBatch: boolean;
  /** False with population statistics at inference (every attack on a model in eval mode): y needs no batch statistics. */
  needsBatchStatistics: boolean;
  relu: boolean;
}

/** What a fused norm's backward channel loop reads and writes. */
export interface FusedBackwardTask extends FusedForwardTask {
  gradOut: Float32Array;
  gradX: Float32Array;
  /** Written per channel c: ∂L/∂β at 2c, ∂L/∂γ at 2c+1. */
  parameterGradients: Float64Array;
  needsInputGradient: boolean;
  /** γ, β frozen and both statistics constants: only ∂L/∂x. */
  frozen: boolean;
}

/**
 * With `task.relu`: y = max(y, 0) over values [start, end) of the output,
 * on its bits `outBits` (bitsOf(task.out), made once per loop call; the relu
 * op's rule, elementwise-loops.ts), right after the run is written, while it
 * is in the cache.
 */
export function clampOutputRun(task: FusedForwardTask, outBits: Int32Array, start: number, end: number): void {
  if (task.relu) clampBits(outBits, outBits, start, end);
}

/**
 * With `task.relu`: ∂L/∂z = ∂L/∂y where the output y = max(z, 0) is > 0,
 * else +0, for every run of channel c, into gradX (the relu op's rule on
 * bits, elementwise-loops.ts), where the norm's backward then reads it.
 */
export function maskChannelGradient(task: FusedBackwardTask, c: number): void {
  if (!task.relu) return;
  const outBits = bitsOf(task.out);
  const gradOutBits = bitsOf(task.gradOut);
  const gradXBits = bitsOf(task.gradX);
  for (let run = 0; run < task.runs; run++) {
    const start = run * task.runStride + c * task.runLength;
    maskBits(outBits, gradOutBits, gradXBits, start, start + task.runLength);
  }
}

/** What a backward loop reads as g: ∂L/∂y, or with `task.relu` the masked ∂L/∂z that maskChannelGradient writes into gradX. */
export function gradientOfNorm(task: Pick<FusedBackwardTask, 'relu' | 'gradX' | 'gradOut'>): Float32Array {
  return task.relu ? task.gradX : task.gradOut;
}

