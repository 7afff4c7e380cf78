/**
 * The fused float32 twins of BatchNorm and RobustNorm share this driver.
 *
 * The readable layers (nn/batch-norm.ts, nn/robust-norm.ts, on the frame of
 * nn/channel-norm.ts) copy each channel's values out into a float64 array,
 * normalize it, and copy the result back. Their twins compute the same
 * formulas in float64 in the same order, so the same numbers bit for bit
 * (test/norms-fused.test.ts), but walk each channel's N runs of H·W values in
 * place, in a few passes, and can fold a following ReLU into those passes.
 * float32 layers run the twin unless the readable path is chosen
 * (`setBackend('reference')`, see `fastPathFor` in kernels/backend.ts).
 *
 * What is the same for both norms lives here: packing each channel's running
 * centre and scale, γ and β for the loops; running the forward loop over the
 * channels (on two threads when the webasm backend has a helper,
 * kernels/split-loop.ts); updating the running averages; and, in backward,
 * the frozen case, the ∂L/∂x buffer and ∂L/∂γ, ∂L/∂β from the per-channel
 * sums. What differs (the statistics and the derivative) is in each norm's
 * two channel loops (kernels/norm-loops/), which batch-norm-fused.ts and
 * robust-norm-fused.ts hand to this driver.
 */
import { record } from '../tensor/autograd.js';
import { allocate, allocateToOverwrite, Tensor, type TypedArray } from '../tensor/tensor.js';
import { checkedChannelGroups } from '../nn/channel-norm.js';
import { usesBatchStatistics, type NormStatistics } from '../nn/norm-statistics.js';
import { sharedFloat64, splitLoop } from '../kernels/split-loop.js';
import type { RangeLoop } from '../kernels/kernel-backend.js';
import type { FusedBackwardTask, FusedForwardTask } from '../kernels/norm-loops/channel-task.js';

export type { FusedBackwardTask, FusedForwardTask } from '../kernels/norm-loops/channel-task.js';

/** One fused norm: its name, running averages, constants and two channel loops. */
export interface FusedChannelNorm<Constants extends object> {
  op: string;
  training: boolean;
  statistics: NormStatistics;
  relu: boolean;
  /** The running centre and scale, read into channelInputs. */
  running: { center: TypedArray; scale: TypedArray };
  /** How many values per channel the forward loop writes to channelStatistics. */
  statisticsPerChannel: number;
  /** The norm's own constants (ε, p), added to both tasks. */
  constants: Constants;
  forward: RangeLoop<FusedForwardTask & Constants>;
  backward: RangeLoop<FusedBackwardTask & Constants>;
  /** In training, after the forward loop: updates the running averages from `channelStatistics`. */
  updateRunning(channelStatistics: Float64Array): void;
}

/** y = norm(x) (or relu(norm(x))) with the norm's fused loops, recorded for backward. */
export function fusedChannelNorm<Constants extends object>(x: Tensor, weight: Tensor, bias: Tensor, norm: FusedChannelNorm<Constants>): Tensor {
  const groups = checkedChannelGroups(norm.op, x, weight, bias);
  const C = groups.channels;
  const { meanFromBatch, scaleFromBatch } = usesBatchStatistics(norm.training, norm.statistics);
  const { center, scale } = norm.running;
  const channelInputs = sharedFloat64(4 * C);
  for (let c = 0; c < C; c++) channelInputs.set([center[c] as number, scale[c] as number, weight.data[c] as number, bias.data[c] as number], 4 * c);
  const forward: FusedForwardTask & Constants = {
    ...groups,
    input: x.data as Float32Array,
    out: allocateToOverwrite(x.dtype, x.size) as Float32Array, // every value written by the loop
    channelInputs,
    channelStatistics: sharedFloat64(norm.statisticsPerChannel * C),
    meanFromBatch,
    scaleFromBatch,
    needsBatchStatistics: norm.training || meanFromBatch || scaleFromBatch,
    relu: norm.relu,
    ...norm.constants,
  };
  splitLoop(norm.forward, forward, C, x.size);
  if (norm.training) norm.updateRunning(forward.channelStatistics);

  return record(norm.relu ? `${norm.op}+relu` : norm.op, new Tensor(forward.out, x.shape), [x, weight, bias], (gradOut, needs) => {
    const backward: FusedBackwardTask & Constants = {
      ...forward,
      gradOut: gradOut.data as Float32Array,
      gradX: allocateToOverwrite(x.dtype, x.size) as Float32Array, // every value written by the loop (when needed)
      parameterGradients: sharedFloat64(2 * C),
      needsInputGradient: needs[0] === true,
      // Frozen γ, β and constant statistics (an attack on a model in eval mode): ∂L/∂x only
      frozen: !needs[1] && !needs[2] && !meanFromBatch && !scaleFromBatch,
    };
    splitLoop(norm.backward, backward, C, x.size);
    return fusedNormGradients(x, weight, bias, needs, backward);
  });
}

/** A fused norm's [∂L/∂x, ∂L/∂γ, ∂L/∂β] (null where not needed), from its ∂L/∂x buffer and its per-channel sums (∂L/∂β at 2c, ∂L/∂γ at 2c+1). */
export function fusedNormGradients(x: Tensor, weight: Tensor, bias: Tensor, needs: readonly boolean[], sums: { gradX: Float32Array; parameterGradients: Float64Array }): Array<Tensor | null> {
  const gradWeight = allocate(x.dtype, weight.size);
  const gradBias = allocate(x.dtype, bias.size);
  for (let c = 0; c < weight.size; c++) {
    gradBias[c] = sums.parameterGradients[2 * c] as number;
    gradWeight[c] = sums.parameterGradients[2 * c + 1] as number;
  }
  return [
    needs[0] ? new Tensor(sums.gradX, x.shape) : null,
    needs[1] ? new Tensor(gradWeight, weight.shape) : null,
    needs[2] ? new Tensor(gradBias, bias.shape) : null,
  ];
}
