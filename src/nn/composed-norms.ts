/**
 * BatchNorm, RobustNorm and LayerNorm written with autograd ops only (mean,
 * max, min, pow, div, …), for tests and lessons: their gradients come from
 * composing the ops' backward passes, an independent check on the
 * hand-derived ones in batch-norm.ts, robust-norm.ts and layer-norm.ts.
 */
import type { Tensor } from '../tensor/tensor.js';
import { nchw } from './channel-groups.js';

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

/** LayerNorm with autograd ops only, for tests. */
export function layerNormComposed(x: Tensor, weight: Tensor, bias: Tensor, eps: number): Tensor {
  const [, C] = nchw(x.shape, 'layerNormComposed');
  const perChannel = x.rank === 4 ? [1, C, 1, 1] : [1, C];
  const axes = x.rank === 4 ? [1, 2, 3] : [1];
  const mean = x.mean(axes, true);
  const variance = x.sub(mean).pow(2).mean(axes, true);
  const normalized = x.sub(mean).div(variance.add(eps).sqrt());
  return normalized.mul(weight.reshape(perChannel)).add(bias.reshape(perChannel));
}
