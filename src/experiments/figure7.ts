/**
 * Experiment 7, the paper's Figure 7: accuracy as ε grows, under each L∞
 * attack (FGSM, BIM, MIM, PGD), for BatchNorm (population statistics),
 * RobustNorm and RobustNorm with the population mean.
 */
import type { AttackName } from '../attacks/registry.js';
import type { ExperimentContext } from './context.js';
import { batchNormVsRobustNorm } from './trained-models.js';

/** Accuracy of one model under one attack at each ε of the sweep. */
export interface EpsRow {
  label: string;
  attack: AttackName;
  /** Paper units. */
  eps: number;
  accuracy: number;
  /** Images the accuracy was measured on (over every seed, when merged). */
  images: number;
  /** Merged over seeds: their number and the standard deviation over seeds. */
  seeds?: number;
  spread?: number;
}

/** Experiment 7 (Figure 7): accuracy as ε grows, BatchNorm against RobustNorm. */
export function figure7(context: ExperimentContext): { rows: EpsRow[] } {
  const attacks = context.settings.attacks.filter((attack) => attack !== 'cw');
  const configs = batchNormVsRobustNorm(context.settings, { statistics: 'population', label: 'BN' });
  const rows: EpsRow[] = [];
  for (const eps of context.settings.epsSweep) {
    for (const { spec, statistics, label } of configs) {
      const result = context.robustness(spec, statistics, { eps, attacks, data: context.sweepTest });
      for (const attack of attacks) rows.push({ label, attack, eps, accuracy: result.attacks[attack] ?? Number.NaN, images: result.images });
    }
  }
  return { rows };
}
