/**
 * Experiment 1, the paper's Table 1: a BatchNorm network classified and
 * attacked with its population statistics (P, the running averages from
 * training) and with the statistics of the batch being classified (B). The
 * paper's claim: B is far more accurate than P under attack, although it is
 * no better on clean images.
 */
import { epsToPixel } from '../attacks/units.js';
import type { AccuracyRow, ExperimentContext, StrongCwRow } from './context.js';
import { modelSpec } from './trained-models.js';

/** Table 1's rows: BatchNorm with population and with batch statistics. */
export interface Table1Result {
  /** ε, paper units, and the same ε in pixels. */
  eps: number;
  epsPixel: number;
  /** P then B. */
  rows: AccuracyRow[];
  /** P then B under the strong Carlini–Wagner attack (when settings.strongCw is set). */
  strongCw?: StrongCwRow[];
}

/** Experiment 1 (Table 1): accuracy of the BatchNorm model under each attack with population vs batch statistics. */
export function table1(context: ExperimentContext): Table1Result {
  const batchNorm = modelSpec(context.settings, 'bn');
  const rows = [context.robustness(batchNorm, 'population'), context.robustness(batchNorm, 'batch')];
  const strongCw = (['population', 'batch'] as const).map((statistics) => context.strongCw(batchNorm, statistics));
  return {
    eps: context.settings.eps,
    epsPixel: epsToPixel(context.settings.eps, 'paper'),
    rows,
    ...(strongCw.every((row) => row !== null) ? { strongCw: strongCw as StrongCwRow[] } : {}),
  };
}
