/**
 * Experiment 6, the paper's Figure 6: RobustNorm's power p. One network per
 * p, each attacked with the batch's statistics (RN) and with the population
 * mean (RN w/ μ̂_P).
 */
import type { AccuracyRow, ExperimentContext } from './context.js';
import { modelSpec } from './trained-models.js';

/** Accuracy of RobustNorm with one power p, in one statistics mode. */
export interface PowerRow {
  power: number;
  row: AccuracyRow;
}

/** Experiment 6 (Figure 6): robustness as a function of RobustNorm's power p. */
export function figure6(context: ExperimentContext): { rows: PowerRow[] } {
  const rows: PowerRow[] = [];
  for (const power of context.settings.powers) {
    const spec = modelSpec(context.settings, 'rn', { power });
    for (const statistics of ['batch', 'population-mean'] as const) {
      rows.push({ power, row: context.robustness(spec, statistics, { data: context.sweepTest }) });
    }
  }
  return { rows };
}
