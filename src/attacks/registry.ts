/**
 * The five attacks by name, with one signature, so evaluation and the CLI can
 * loop over them.
 */
import type { Module } from '../nn/module.js';
import type { Random } from '../random.js';
import type { Tensor } from '../tensor/tensor.js';
import { bim } from './bim.js';
import type { AttackSettings } from './common.js';
import { cw, type CwSettings } from './cw.js';
import { fgsm } from './fgsm.js';
import { mim } from './mim.js';
import { pgd } from './pgd.js';
import { epsToPaper, epsToPixel, PAPER_INPUT_STD } from './units.js';

/** The five attacks by name. */
export type AttackName = 'fgsm' | 'bim' | 'pgd' | 'mim' | 'cw';
/** Every {@link AttackName}, in the paper's table order. */
export const ATTACK_NAMES: readonly AttackName[] = ['fgsm', 'bim', 'mim', 'cw', 'pgd']; // the paper's table order

/** Settings for any attack by name: the L∞ settings plus CW's own. */
export interface AttackConfig extends AttackSettings {
  /** Carlini–Wagner's own settings (its learning rate, c, distance unit…); defaults from `paperCwSettings`. */
  cw?: CwSettings;
}

/** Parses a comma-separated list of attack names, or `all`. */
export function parseAttackNames(value: string): AttackName[] {
  const names = value === 'all' ? [...ATTACK_NAMES] : value.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(ATTACK_NAMES as readonly string[]).includes(name)) throw new Error(`unknown attack "${name}"; choose from ${ATTACK_NAMES.join(', ')} or all`);
  }
  return names as AttackName[];
}

/**
 * Carlini–Wagner as the paper's code ran it on MNIST / Fashion-MNIST, given the
 * pixel step `epsIterPixel` (ε/10 by default). advertorch's learning rate was
 * eps_iter in the paper's normalized units; tanh space is the same whichever
 * units the box is stated in (the box maps onto (−1, 1) either way), so the
 * learning rate is ε_iter,paper = ε_iter,pixel / 0.3081. Its L2 distances were
 * in normalized units too, so we measure them in units of 0.3081 for c = 10 to
 * weigh the distance against the margin as it did.
 */
export function paperCwSettings(epsIterPixel: number): CwSettings {
  return { learningRate: epsToPaper(epsIterPixel), initialConst: 10, distanceUnit: PAPER_INPUT_STD };
}

/**
 * The paper's attack settings at ε in its normalized units: ε_pixel = 0.3081·ε,
 * step ε/10, 20 iterations, and Carlini–Wagner with Adam's rate ε/10, 3
 * binary-search steps × 10 iterations, constant `cwConst`.
 */
export function paperAttackSettings(epsPaper: number, cwConst = 10): AttackConfig {
  const eps = epsToPixel(epsPaper, 'paper');
  return {
    eps, epsIter: eps / 10, nbIter: 20,
    cw: { initialConst: cwConst, learningRate: epsPaper / 10, binarySearchSteps: 3, maxIterations: 10, distanceUnit: PAPER_INPUT_STD },
  };
}

/** Runs the attack `name` on a batch and returns the adversarial images. */
export function runAttack(name: AttackName, model: Module, x: Tensor, labels: ArrayLike<number>, config: AttackConfig, random: Random): Tensor {
  switch (name) {
    case 'fgsm':
      return fgsm(model, x, labels, config);
    case 'bim':
      return bim(model, x, labels, config);
    case 'pgd':
      return pgd(model, x, labels, config, random);
    case 'mim':
      return mim(model, x, labels, config);
    case 'cw':
      return cw(model, x, labels, {
        clipMin: config.clipMin ?? 0, clipMax: config.clipMax ?? 1, targeted: config.targeted ?? false,
        ...paperCwSettings(config.epsIter ?? config.eps / 10), ...config.cw,
      });
  }
}
