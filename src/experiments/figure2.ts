/**
 * Experiment 4, the paper's Figure 2: how far the statistics of a test batch
 * are from the population statistics a BatchNorm layer uses at inference, for
 * clean batches and for PGD-adversarial ones.
 *
 * For each test batch and each channel c of one BatchNorm layer (the last one,
 * where the shift has accumulated through the whole network):
 *   Δμ_c  = μ_B,c − μ̂_P,c         (batch mean minus running mean)
 *   Δσ²_c = σ²_B,c − σ̂²_P,c       (biased batch variance minus running variance)
 * with μ_B, σ²_B over (N, H, W) of the layer's input. The adversarial batches
 * are PGD at the run's ε, made against the model with population statistics
 * (the setting where the paper's Table 1 says BatchNorm is fragile).
 */
import { runAttack } from '../attacks/registry.js';
import { batches } from '../data/loader.js';
import { BatchNorm2d } from '../nn/batch-norm.js';
import type { Module } from '../nn/module.js';
import { Random } from '../random.js';
import { noGrad } from '../tensor/autograd.js';
import type { Tensor } from '../tensor/tensor.js';
import { paperAttackConfig, type ExperimentContext } from './context.js';
import { modelSpec } from './trained-models.js';
import { evaluationPasses } from './run-progress.js';
import { channelGroups, gather } from '../nn/channel-groups.js';
import { meanAndVariance } from '../nn/batch-norm.js';

/** Per batch (rows) and channel (columns): the batch statistic minus the population one. */
export interface ShiftMatrices {
  mean: number[][];
  variance: number[][];
}

/** Figure 2's data: per batch and channel, batch minus population statistics, clean and under PGD. */
export interface Figure2Result {
  layer: string;
  channels: number;
  batchSize: number;
  clean: ShiftMatrices;
  adversarial: ShiftMatrices;
  /** Mean over batches and channels of |Δμ| and |Δσ²|. */
  meanAbsShift: { clean: { mean: number; variance: number }; adversarial: { mean: number; variance: number } };
}

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
function recordingInputs<T>(layer: BatchNorm2d, fn: (inputs: Tensor[]) => T): T {
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

function shiftOf(layer: BatchNorm2d, input: Tensor): { mean: number[]; variance: number[] } {
  const stats = channelStatistics(input);
  return {
    mean: stats.mean.map((value, c) => value - (layer.runningMean.data[c] as number)),
    variance: stats.variance.map((value, c) => value - (layer.runningVar.data[c] as number)),
  };
}

function meanAbs(matrix: number[][]): number {
  const values = matrix.flat();
  return values.reduce((sum, value) => sum + Math.abs(value), 0) / Math.max(1, values.length);
}

/** Experiment 4 (Figure 2): the shift of a BatchNorm layer's batch statistics from its population statistics under PGD. */
export function figure2(context: ExperimentContext): Figure2Result {
  const { model } = context.models.get(modelSpec(context.settings, 'bn'));
  const { layer, name } = lastBatchNorm(model);
  model.eval();
  model.setNormStatistics('population');
  const config = paperAttackConfig(context.settings, context.settings.eps);
  const random = new Random(context.settings.seed);
  const clean: ShiftMatrices = { mean: [], variance: [] };
  const adversarial: ShiftMatrices = { mean: [], variance: [] };
  const total = Math.ceil(context.test.count / context.settings.batchSize);
  const stage = context.progress.stage(`statistics shift at ${name}`, total, evaluationPasses(context.test.count, ['pgd']) / total);
  let done = 0;
  for (const batch of batches(context.test, { batchSize: context.settings.batchSize })) {
    const attacked = runAttack('pgd', model, batch.images, batch.labels, config, random);
    for (const [images, into] of [[batch.images, clean], [attacked, adversarial]] as const) {
      const shift = recordingInputs(layer, (inputs) => (noGrad(() => model.forward(images)), shiftOf(layer, inputs[0] as Tensor)));
      into.mean.push(shift.mean);
      into.variance.push(shift.variance);
    }
    stage.tick(++done);
  }
  stage.end();
  return {
    layer: name, channels: layer.runningMean.size, batchSize: context.settings.batchSize, clean, adversarial,
    meanAbsShift: {
      clean: { mean: meanAbs(clean.mean), variance: meanAbs(clean.variance) },
      adversarial: { mean: meanAbs(adversarial.mean), variance: meanAbs(adversarial.variance) },
    },
  };
}
