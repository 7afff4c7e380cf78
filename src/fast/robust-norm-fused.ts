/**
 * RobustNorm's fused float32 twin: {@link robustNorm2dFused} computes what
 * `robustNorm2d` (nn/robust-norm.ts, where the formulas and the derivation
 * (★) are) computes, bit for bit (test/norms-fused.test.ts), on the shared
 * driver of channel-norm-fused.ts. Forward makes 2 passes over a channel (Σx
 * with max and min, then y), backward 2 or 3 (the four sums, the tie counts
 * when the range path needs them, then ∂L/∂x), where the readable path
 * copies each channel out and back and makes 6 and 7. With `settings.relu`
 * it computes relu(RobustNorm(x)), the ReLU folded into the loops with relu's
 * rule on the float's bits (see `relu` in ops/unary.ts).
 *
 * Its two channel loops are in kernels/norm-loops/robust-norm-channels.ts
 * (RangeLoops: on webasm with a helper thread, each runs half of the
 * channels there; kernels/split-loop.ts).
 */
import type { Tensor } from '../tensor/tensor.js';
import { nchw } from '../nn/channel-groups.js';
import type { RobustNormSettings, RobustNormState } from '../nn/norm-statistics.js';
import { robustNormBackwardChannels, robustNormForwardChannels, CHANNEL_STATISTICS } from '../kernels/norm-loops/robust-norm-channels.js';
import { fusedChannelNorm } from './channel-norm-fused.js';

/** `robustNorm2d` for float32 input, fused (the file header); in training it also updates `state` in place. */
export function robustNorm2dFused(x: Tensor, weight: Tensor, bias: Tensor, state: RobustNormState, settings: RobustNormSettings): Tensor {
  nchw(x.shape, 'RobustNorm2d');
  const runningMean = state.runningMean.data;
  const runningRange = state.runningRange.data;
  const tau = settings.momentum;
  return fusedChannelNorm(x, weight, bias, {
    op: 'robustNorm2d',
    training: settings.training,
    statistics: settings.statistics,
    relu: settings.relu === true,
    running: { center: runningMean, scale: runningRange },
    statisticsPerChannel: CHANNEL_STATISTICS,
    constants: { power: settings.power, eps: settings.eps },
    forward: robustNormForwardChannels,
    backward: robustNormBackwardChannels,
    updateRunning: (channelStatistics) => {
      for (let c = 0; c < channelStatistics.length / CHANNEL_STATISTICS; c++) {
        const at = CHANNEL_STATISTICS * c;
        const batchMean = channelStatistics[at + 5] as number;
        const batchRange = (channelStatistics[at + 3] as number) - (channelStatistics[at + 4] as number);
        // μ̂ ← (1 − τ) μ̂ + τ μ_B;   r̂ ← (1 − τ) r̂ + τ r_B
        runningMean[c] = (1 - tau) * (runningMean[c] as number) + tau * batchMean;
        runningRange[c] = (1 - tau) * (runningRange[c] as number) + tau * batchRange;
      }
    },
  });
}
