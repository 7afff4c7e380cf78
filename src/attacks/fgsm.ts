/**
 * FGSM, the fast gradient sign method (Goodfellow et al. 2014):
 *   x_adv = clip(x + ε · sign(∇x L(x, y)))
 * one forward and one backward pass. As advertorch's GradientSignAttack,
 * including sign(0) = 0 (pixels with zero gradient do not move); the only
 * differences are common.ts's (fixed box, frozen parameters, pixel ε).
 */
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { addPerturbation, checkLabels, lossGradient, resolvedSettings, sign, withFrozenParameters, type AttackSettings } from './common.js';

/** FGSM: x_adv = clip(x + ε·sign(∇ₓL(x, y))), with L the summed cross-entropy. ε in input (pixel) units. */
export function fgsm(model: Module, x: Tensor, labels: ArrayLike<number>, settings: AttackSettings): Tensor {
  const { eps, clipMin, clipMax, targeted } = resolvedSettings(settings);
  checkLabels(x, labels);
  return withFrozenParameters(model, () => {
    const { grad } = lossGradient(model, x, labels, targeted);
    const delta = grad.map((g) => eps * sign(g));
    return addPerturbation(x, delta, clipMin, clipMax);
  });
}
