/**
 * Experiment 8, the paper's Table 4: adversarial training shrinks the gap
 * between batch and population statistics. For a normally trained and a
 * PGD-trained BatchNorm network, the percentage gain of B over P under each
 * attack:  gain = (acc_B − acc_P) / acc_P · 100.
 */
import type { AttackName } from '../attacks/registry.js';
import type { AccuracyRow, ExperimentContext } from './context.js';
import { modelSpec } from './trained-models.js';

/** One Table 4 row: P and B accuracies and the gain per attack. */
export interface GainRow {
  training: 'normal' | 'adversarial';
  population: AccuracyRow;
  batch: AccuracyRow;
  /** Percent; null where P's accuracy is 0 (the gain is undefined). */
  gain: Partial<Record<AttackName, number | null>>;
}

/** Table 4's gain of batch over population statistics: (acc_B − acc_P)/acc_P · 100, or null when acc_P = 0. */
export function percentGain(population: number, batch: number): number | null {
  return population > 0 ? ((batch - population) / population) * 100 : null;
}

/** Experiment 8 (Table 4): the B-over-P gain after normal and after PGD adversarial training. */
export function table4(context: ExperimentContext): { rows: GainRow[] } {
  const rows = (['normal', 'adversarial'] as const).map((training): GainRow => {
    const spec = modelSpec(context.settings, 'bn', { adversarial: training === 'adversarial' });
    const population = context.robustness(spec, 'population');
    const batch = context.robustness(spec, 'batch');
    const gain = Object.fromEntries(context.settings.attacks.map((attack) => [attack, percentGain(population.attacks[attack] ?? 0, batch.attacks[attack] ?? 0)]));
    return { training, population, batch, gain };
  });
  return { rows };
}
