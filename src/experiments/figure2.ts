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
import { Random } from '../random.js';
import { paperAttackConfig, type ExperimentContext } from './context.js';
import { modelSpec } from './trained-models.js';
import { evaluationPasses } from './run-progress.js';
import { batchShift, lastBatchNorm } from './statistics-shift.js';

export { channelStatistics, lastBatchNorm } from './statistics-shift.js';

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
  /**
   * Set in a report merged over seeds (seeds.ts): the seed whose matrices
   * this is, and every seed's mean shifts (a layer's statistics are not an
   * accuracy to average).
   */
  merged?: { shownSeed: number; perSeed: Array<{ seed: number; meanAbsShift: Figure2Result['meanAbsShift'] }> };
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
      const shift = batchShift(model, layer, images);
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
