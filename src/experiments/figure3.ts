/**
 * Experiment 3, the paper's Figure 3: RobustNorm against BatchNorm under every
 * attack. BatchNorm as it is normally used (population statistics); RobustNorm
 * as the paper uses it (the batch's own mean and range) and with the running
 * mean in place of the batch mean ("RN w/ μ̂_P").
 */
import type { AccuracyRow, ExperimentContext, StrongCwRow } from './context.js';
import { modelSpec } from './trained-models.js';

/** Figure 3's rows: BatchNorm, RobustNorm and RobustNorm with the population mean. */
export interface Figure3Result {
  /** BN (population), RN (batch), RN (population mean). */
  rows: AccuracyRow[];
  /** The same three under the strong Carlini–Wagner attack (when settings.strongCw is set). */
  strongCw?: StrongCwRow[];
}

/** Experiment 3 (Figure 3): RobustNorm against BatchNorm under each attack. */
export function figure3(context: ExperimentContext): Figure3Result {
  const batchNorm = modelSpec(context.settings, 'bn');
  const robustNorm = modelSpec(context.settings, 'rn');
  const configs = [[batchNorm, 'population'], [robustNorm, 'batch'], [robustNorm, 'population-mean']] as const;
  const rows = configs.map(([spec, statistics]) => context.robustness(spec, statistics));
  const strongCw = configs.map(([spec, statistics]) => context.strongCw(spec, statistics));
  return { rows, ...(strongCw.every((row) => row !== null) ? { strongCw: strongCw as StrongCwRow[] } : {}) };
}
