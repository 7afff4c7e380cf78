/**
 * Experiment 5, the paper's Figure 4: what batch statistics cost when the
 * inference batch is small. Clean and PGD accuracy against the inference batch
 * size, for BatchNorm with batch statistics, RobustNorm (batch mean and range)
 * and RobustNorm with the population mean. Each batch is attacked on its own,
 * so at batch size b the attack sees (and the statistics come from) b images.
 */
import type { ExperimentContext } from './context.js';
import { batchNormVsRobustNorm } from './trained-models.js';

/** Clean and PGD accuracy of one model at one inference batch size. */
export interface BatchSizeRow {
  label: string;
  model: string;
  statistics: string;
  batchSize: number;
  clean: number;
  pgd: number;
  /** Images the accuracies were measured on (over every seed, when merged). */
  images: number;
  /** Merged over seeds: their number and the standard deviations over seeds. */
  seeds?: number;
  spread?: { clean: number; pgd: number };
}

/** Experiment 5 (Figure 4): accuracy at small inference batch sizes. */
export function figure4(context: ExperimentContext): { rows: BatchSizeRow[] } {
  const configs = batchNormVsRobustNorm(context.settings, { statistics: 'batch', label: 'BN (batch statistics)' });
  const rows: BatchSizeRow[] = [];
  for (const batchSize of context.settings.batchSizes) {
    for (const { spec, statistics, label } of configs) {
      const row = context.robustness(spec, statistics, { attacks: ['pgd'], data: context.sweepTest, batchSize });
      rows.push({ label, model: spec.key, statistics, batchSize, clean: row.clean, pgd: row.attacks.pgd ?? Number.NaN, images: row.images });
    }
  }
  return { rows };
}
