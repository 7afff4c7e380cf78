/**
 * How far a batch's statistics sit from the population statistics that a
 * BatchNorm layer uses at inference (the measurement behind the paper's
 * Figure 2): per channel, the batch mean and biased variance of the layer's
 * input minus its running estimates. Used by experiments/figure2.ts and by
 * the browser playground's statistics-shift panel (no Node imports here).
 */
import { BatchNorm2d, meanAndVariance } from '../nn/batch-norm.js';
import { channelGroups, gather } from '../nn/channel-groups.js';
import type { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * μ_c and the biased σ²_c over (N, H, W) of an NCHW tensor: each channel's
 * values gathered as BatchNorm gathers them, and BatchNorm's own
 * `meanAndVariance` (nn/batch-norm.ts), so the shift is measured with the
 * statistics the layer computes.
 */
export function channelStatistics(x: Tensor): { mean: number[]; variance: number[] } {
  const groups = channelGroups(x.shape, 'figure 2');
  const values = new Float64Array(groups.perChannel);
  const mean: number[] = [];
  const variance: number[] = [];
  for (let c = 0; c < groups.channels; c++) {
    const statistics = meanAndVariance(gather(x.data, groups, c, values));
    mean.push(statistics.mean);
    variance.push(statistics.variance);
  }
  return { mean, variance };
}

/** The last BatchNorm layer of a model and its dotted name (`layer3.0.bn2`). */
export function lastBatchNorm(model: Module): { layer: BatchNorm2d; name: string } {
  const layer = model.modules().filter((module): module is BatchNorm2d => module instanceof BatchNorm2d).at(-1);
  if (layer === undefined) throw new Error('figure 2: the model has no BatchNorm layer');
  const entry = model.namedBuffers().find(([, tensor]) => tensor === layer.runningMean);
  return { layer, name: entry ? entry[0].replace(/\.running_mean$/, '') : 'batch norm' };
}

/** Runs `fn` while recording the input of every call to `layer.forward` (or `forwardRelu`, the same layer followed by a ReLU). */
export function recordingInputs<T>(layer: BatchNorm2d, fn: (inputs: Tensor[]) => T): T {
  const inputs: Tensor[] = [];
  const forward = layer.forward.bind(layer);
  const forwardRelu = layer.forwardRelu.bind(layer);
  layer.forward = (x: Tensor) => (inputs.push(x), forward(x));
  layer.forwardRelu = (x: Tensor) => (inputs.push(x), forwardRelu(x));
  try {
    return fn(inputs);
  } finally {
    // back to the class's methods
    Reflect.deleteProperty(layer, 'forward');
    Reflect.deleteProperty(layer, 'forwardRelu');
  }
}

/** Per channel: the batch statistics of `input` (the layer's input) minus the layer's running estimates. */
export function shiftOf(layer: BatchNorm2d, input: Tensor): { mean: number[]; variance: number[] } {
  const stats = channelStatistics(input);
  return {
    mean: stats.mean.map((value, c) => value - (layer.runningMean.data[c] as number)),
    variance: stats.variance.map((value, c) => value - (layer.runningVar.data[c] as number)),
  };
}

/** The shift at `layer` for one batch of `images` through `model` (in whatever mode the model is in). */
export function batchShift(model: Module, layer: BatchNorm2d, images: Tensor): { mean: number[]; variance: number[] } {
  return recordingInputs(layer, (inputs) => (noGrad(() => model.forward(images)), shiftOf(layer, inputs[0] as Tensor)));
}
