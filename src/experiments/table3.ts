/**
 * Experiment 2, the paper's Table 3: normalizations that keep no moving
 * averages (none, LayerNorm) against BatchNorm with its population statistics.
 * The paper trains the network without normalization at lr 0.01 (0.1 does not
 * converge); modelSpec applies that.
 */
import type { AccuracyRow, ExperimentContext } from './context.js';
import { modelSpec } from './trained-models.js';

/** Table 3's rows: no norm, LayerNorm and BatchNorm (population statistics). */
export interface Table3Result {
  /** No norm, LayerNorm, BatchNorm (population statistics). */
  rows: AccuracyRow[];
}

/** Experiment 2 (Table 3): normalizations without moving averages against BatchNorm. */
export function table3(context: ExperimentContext): Table3Result {
  const norms = ['none', 'ln', 'bn'] as const;
  // LayerNorm and no norm have no statistics mode; 'population' is only a label for them.
  return { rows: norms.map((norm) => context.robustness(modelSpec(context.settings, norm), 'population')) };
}
