/**
 * The frame shared by BatchNorm and RobustNorm: normalize each channel's
 * values x₁ … x_M (M = N·H·W) into x̂, then scale and shift per channel:
 *
 *   y_k = γ_c · x̂_k + β_c
 *
 * Backward of the affine part, for channel c (g_k = ∂L/∂y_k):
 *   ∂L/∂β_c = Σ_k g_k
 *   ∂L/∂γ_c = Σ_k g_k · x̂_k
 *   ∂L/∂x̂_k = γ_c · g_k          → handed to the normalizer's own backward
 *
 * What x̂ is, and how ∂L/∂x̂ becomes ∂L/∂x, is the normalizer's business
 * (batch-norm.ts for BatchNorm, robust-norm.ts for RobustNorm).
 *
 * x̂ is not kept from forward to backward: backward computes it again from x
 * and the channel's statistics (one subtraction and one multiply or divide a
 * value, the same arithmetic, so the same numbers). Keeping it would cost an
 * array the size of the input at every norm layer of every training step.
 */
import { record } from '../tensor/autograd.js';
import { formatShape } from '../tensor/shape.js';
import { allocate, Tensor } from '../tensor/tensor.js';
import { channelGroups, gather, scatter, type ChannelGroups } from './channel-groups.js';

/** One channel's values x, its x̂ and ∂L/∂x̂: what a normalizer's backward reads. */
export interface ChannelValues {
  values: Float64Array;
  /** x̂, computed once in the backward pass (below), from x and the saved statistics. */
  normalized: Float64Array;
  gradNormalized: Float64Array;
}

export interface ChannelNormalizer<Saved> {
  /** Writes x̂ for channel `channel` into `normalized` and returns what backward needs. */
  forward(values: Float64Array, channel: number, normalized: Float64Array): Saved;
  /** Writes x̂ again, from the channel's values and what forward returned. */
  normalize(values: Float64Array, saved: Saved, normalized: Float64Array): Float64Array;
  /** Writes ∂L/∂x for one channel into `gradInput`, given x, x̂ and ∂L/∂x̂. */
  backward(channel: ChannelValues, saved: Saved, gradInput: Float64Array): void;
}

/** Where each channel's values lie, after checking that γ and β have one value per channel and that there is something to normalize. */
export function checkedChannelGroups(op: string, x: Tensor, weight: Tensor, bias: Tensor): ChannelGroups {
  const groups = channelGroups(x.shape, op);
  const { channels, perChannel: M } = groups;
  if (weight.size !== channels || bias.size !== channels) {
    throw new Error(`${op}: input ${formatShape(x.shape)} has ${channels} channels but weight ${formatShape(weight.shape)} and bias ${formatShape(bias.shape)} must have ${channels} values`);
  }
  if (M === 0) throw new Error(`${op}: input ${formatShape(x.shape)} has no values to normalize`);
  return groups;
}

export function channelNorm<Saved>(op: string, x: Tensor, weight: Tensor, bias: Tensor, normalizer: ChannelNormalizer<Saved>): Tensor {
  const groups = checkedChannelGroups(op, x, weight, bias);
  const { channels, perChannel: M } = groups;
  const out = allocate(x.dtype, x.size);
  const saved: Saved[] = [];
  const values = new Float64Array(M);
  const normalized = new Float64Array(M);
  const outputs = new Float64Array(M);
  for (let c = 0; c < channels; c++) {
    saved.push(normalizer.forward(gather(x.data, groups, c, values), c, normalized));
    const gamma = weight.data[c] as number;
    const beta = bias.data[c] as number;
    // y_k = γ_c · x̂_k + β_c
    for (let k = 0; k < M; k++) outputs[k] = gamma * (normalized[k] as number) + beta;
    scatter(outputs, groups, c, out);
  }

  return record(op, new Tensor(out, x.shape), [x, weight, bias], (gradOut, needs) => {
    const gradX = allocate(x.dtype, x.size);
    const gradWeight = allocate(x.dtype, channels);
    const gradBias = allocate(x.dtype, channels);
    const grads = new Float64Array(M);
    const gradNormalized = new Float64Array(M);
    const gradInput = new Float64Array(M);
    for (let c = 0; c < channels; c++) {
      gather(gradOut.data, groups, c, grads);
      gather(x.data, groups, c, values);
      normalizer.normalize(values, saved[c] as Saved, normalized); // x̂ again
      const gamma = weight.data[c] as number;
      let sumGrad = 0;
      let sumGradTimesNormalized = 0;
      for (let k = 0; k < M; k++) {
        const g = grads[k] as number;
        sumGrad += g; // ∂L/∂β_c = Σ_k g_k
        sumGradTimesNormalized += g * (normalized[k] as number); // ∂L/∂γ_c = Σ_k g_k · x̂_k
        gradNormalized[k] = gamma * g; // ∂L/∂x̂_k = γ_c · g_k
      }
      gradBias[c] = sumGrad;
      gradWeight[c] = sumGradTimesNormalized;
      if (needs[0]) {
        normalizer.backward({ values, normalized, gradNormalized }, saved[c] as Saved, gradInput);
        scatter(gradInput, groups, c, gradX);
      }
    }
    return [
      needs[0] ? new Tensor(gradX, x.shape) : null,
      needs[1] ? new Tensor(gradWeight, weight.shape) : null,
      needs[2] ? new Tensor(gradBias, bias.shape) : null,
    ];
  });
}
