/**
 * BatchNorm's fused float32 twin: {@link batchNorm2dFused} computes what
 * `batchNorm2d` (nn/batch-norm.ts, where the formulas and their derivation
 * are) computes, bit for bit (test/norms-fused.test.ts), on the shared driver
 * of channel-norm-fused.ts. Forward makes 3 passes over a channel (Σx,
 * Σ(x − μ_B)², then y), backward 2 (the four sums, then ∂L/∂x), where the
 * readable path copies each channel out and back and makes 6 and 7.
 * With `settings.relu` it computes relu(BatchNorm(x)), the ReLU folded into
 * the loops with relu's rule on the float's bits (see `relu` in ops/unary.ts).
 *
 * Its two channel loops are in kernels/norm-loops/batch-norm-channels.ts
 * (RangeLoops: on webasm with a helper thread, each runs half of the
 * channels there; kernels/split-loop.ts).
 */
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { nchw } from '../nn/channel-groups.js';
import type { BatchNormSettings, BatchNormState } from '../nn/norm-statistics.js';
import { batchNormBackwardChannels, batchNormForwardChannels } from '../kernels/norm-loops/batch-norm-channels.js';
import { fusedChannelNorm } from './channel-norm-fused.js';

/** `batchNorm2d` for float32 input, fused (the file header); in training it also updates `state` in place. */
export function batchNorm2dFused(x: Tensor, weight: Tensor, bias: Tensor, state: BatchNormState, settings: BatchNormSettings): Tensor {
  const [N, , H, W] = nchw(x.shape, 'BatchNorm2d');
  const M = N * H * W;
  if (settings.training && M < 2) {
    throw new Error(`BatchNorm2d: training needs more than one value per channel to estimate the variance, got input ${formatShape(x.shape)}`);
  }
  const runningMean = state.runningMean.data;
  const runningVar = state.runningVar.data;
  const tau = settings.momentum;
  return fusedChannelNorm(x, weight, bias, {
    op: 'batchNorm2d',
    training: settings.training,
    statistics: settings.statistics,
    relu: settings.relu === true,
    running: { center: runningMean, scale: runningVar },
    statisticsPerChannel: 4,
    constants: { eps: settings.eps },
    forward: batchNormForwardChannels,
    backward: batchNormBackwardChannels,
    updateRunning: (channelStatistics) => {
      for (let c = 0; c < channelStatistics.length / 4; c++) {
        const batchMean = channelStatistics[4 * c + 2] as number;
        const batchVariance = channelStatistics[4 * c + 3] as number;
        // μ̂ ← (1 − τ) μ̂ + τ μ_B;   σ̂² ← (1 − τ) σ̂² + τ σ²_B · M/(M − 1)
        runningMean[c] = (1 - tau) * (runningMean[c] as number) + tau * batchMean;
        runningVar[c] = (1 - tau) * (runningVar[c] as number) + tau * batchVariance * (M / (M - 1));
      }
    },
  });
}
