/**
 * BIM, the basic iterative method (Kurakin et al. 2016), and PGD (Madry et al.
 * 2017), which is BIM from a random start (MIM, mim.ts, runs the same loop
 * with another step direction). As advertorch's
 * LinfBasicIterativeAttack / LinfPGDAttack:
 *
 *   δ ← 0   (PGD: δ ~ U(−ε, ε) per pixel, then δ ← clip(x + δ) − x)
 *   repeat nbIter times:
 *     δ ← δ + epsIter · sign(∇δ L(x + δ, y))
 *     δ ← clamp(δ, −ε, ε);   δ ← clip(x + δ) − x
 *   x_adv = clip(x + δ)
 *
 * The order within an iteration (step, then ε-ball, then box) is advertorch's;
 * the only differences are common.ts's (fixed box, frozen parameters, pixel ε).
 */
import { reuseBuffers } from '../buffer-pool.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { addPerturbation, checkLabels, lossGradient, projectPerturbation, resolvedSettings, sign, withFrozenParameters, type AttackSettings } from './common.js';

/**
 * Which way a step moves δ, given ∇δ L: each pixel goes by epsIter · sign of
 * the returned value. BIM and PGD step along the gradient itself; MIM
 * (mim.ts) along its momentum.
 */
export type StepDirection = (grad: Float32Array) => ArrayLike<number>;

/**
 * ∇ of the loss the attack climbs, at the current x + δ. BIM, PGD and MIM
 * climb Σ_i CE(f(x + δ)_i, y_i) (common.ts's `lossGradient`); an attacker who
 * owns only part of a batch (part-of-batch.ts) climbs the loss of its own images.
 */
export type LossGradientAt = (adversarial: Tensor) => Float32Array;

/**
 * The loop BIM, PGD and MIM share; `start` is the initial δ (zeros for BIM and
 * MIM), projected before the first step and not modified.
 */
export function iterateSignSteps(
  model: Module, x: Tensor, labels: ArrayLike<number>, settings: AttackSettings, start: Float32Array,
  direction: StepDirection = (grad) => grad,
  gradientAt?: LossGradientAt,
): Tensor {
  const { eps, epsIter, nbIter, clipMin, clipMax, targeted } = resolvedSettings(settings);
  checkLabels(x, labels);
  if (start.length !== x.size) throw new Error(`attack: a start of ${start.length} values for ${x.size} pixels`);
  const clean = Float32Array.from(x.data);
  const delta = Float32Array.from(start);
  projectPerturbation(clean, delta, eps, clipMin, clipMax);
  return withFrozenParameters(model, () => {
    for (let iteration = 0; iteration < nbIter; iteration++) {
      // δ lives outside the iteration, so the iteration's buffers serve the next one
      reuseBuffers(() => {
        const adversarial = addPerturbation(x, delta, clipMin, clipMax);
        const grad = gradientAt ? gradientAt(adversarial) : lossGradient(model, adversarial, labels, targeted).grad;
        // δ ← δ + epsIter · sign(∇δ L)   (or of MIM's momentum)
        const towards = direction(grad);
        for (let i = 0; i < delta.length; i++) delta[i] = (delta[i] as number) + epsIter * sign(towards[i] as number);
        projectPerturbation(clean, delta, eps, clipMin, clipMax);
      });
    }
    return addPerturbation(x, delta, clipMin, clipMax);
  });
}

/** BIM: nbIter steps δ ← clip_ε(δ + α·sign(∇L(x + δ, y))) from δ = 0, projected into the ε-ball and the box after each. */
export function bim(model: Module, x: Tensor, labels: ArrayLike<number>, settings: AttackSettings): Tensor {
  return iterateSignSteps(model, x, labels, settings, new Float32Array(x.size));
}
