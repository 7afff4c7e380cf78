/**
 * LayerNorm's fused float32 twin: {@link layerNormFused} computes what
 * `layerNorm` (nn/layer-norm.ts, where the formulas are) computes, bit for bit
 * (test/norms-fused.test.ts), but walks each sample's C·H·W values in place,
 * where the readable path copies every sample into float64 arrays and back
 * and finds each value's channel with a division. Forward makes 3 passes over
 * a sample (Σx, Σ(x − μ)², then y); backward one over each channel for ∂L/∂γ,
 * ∂L/∂β and two over each sample for ∂L/∂x.
 * With `relu` it computes relu(LayerNorm(x)), the ReLU folded into the loops
 * with relu's rule on the float's bits (see nn/fused-relu.ts).
 *
 * Measured on resnet8 (batch 128, webasm, 2 threads, 2026-12-07): a LayerNorm
 * training step took 0.62–0.71 s with the readable layer and takes 0.32–0.39 s
 * with this twin, about a BatchNorm step's. The loops are in
 * kernels/norm-loops/layer-norm-samples.ts (RangeLoops: on webasm with a
 * helper thread, each runs half of its samples or channels there).
 */
import { record } from '../tensor/autograd.js';
import { formatShape } from '../tensor/shape.js';
import { allocateToOverwrite, Tensor } from '../tensor/tensor.js';
import { nchw } from '../nn/channel-groups.js';
import { sharedFloat64, splitLoop } from '../kernels/split-loop.js';
import { fusedNormGradients } from './channel-norm-fused.js';
import {
  layerNormForwardSamples, layerNormInputSamples, layerNormMaskSamples, layerNormParameterChannels,
  type LayerNormBackwardTask, type LayerNormTask,
} from '../kernels/norm-loops/layer-norm-samples.js';

/** `layerNorm` for float32 input, fused (the file header); relu(layerNorm(x)) with `relu`. */
export function layerNormFused(x: Tensor, weight: Tensor, bias: Tensor, eps: number, relu = false): Tensor {
  const [N, C, H, W] = nchw(x.shape, 'layerNorm');
  if (weight.size !== C || bias.size !== C) {
    throw new Error(`layerNorm: input ${formatShape(x.shape)} has ${C} channels but weight ${formatShape(weight.shape)} and bias ${formatShape(bias.shape)} must have ${C} values`);
  }
  const channelParameters = sharedFloat64(2 * C);
  for (let c = 0; c < C; c++) channelParameters.set([weight.data[c] as number, bias.data[c] as number], 2 * c);
  const forward: LayerNormTask = {
    input: x.data as Float32Array,
    out: allocateToOverwrite(x.dtype, x.size) as Float32Array, // every value written by the loop
    samples: N,
    channels: C,
    plane: H * W,
    channelParameters,
    sampleStatistics: sharedFloat64(2 * N),
    eps,
    relu,
  };
  splitLoop(layerNormForwardSamples, forward, N, x.size);

  return record(relu ? 'layerNorm+relu' : 'layerNorm', new Tensor(forward.out, x.shape), [x, weight, bias], (gradOut, needs) => {
    const backward: LayerNormBackwardTask = {
      ...forward,
      gradOut: gradOut.data as Float32Array,
      gradX: allocateToOverwrite(x.dtype, x.size) as Float32Array, // every value written by the loops
      parameterGradients: sharedFloat64(2 * C),
    };
    if (relu) splitLoop(layerNormMaskSamples, backward, N, x.size);
    if (needs[1] || needs[2]) splitLoop(layerNormParameterChannels, backward, C, x.size);
    if (needs[0]) splitLoop(layerNormInputSamples, backward, N, x.size);
    return fusedNormGradients(x, weight, bias, needs, backward);
  });
}
