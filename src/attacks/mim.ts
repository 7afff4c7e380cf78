/**
 * MIM, the momentum iterative method (Dong et al. 2018), as advertorch's
 * MomentumIterativeAttack:
 *
 *   δ ← 0, g ← 0
 *   repeat nbIter times:
 *     ∇ ← ∇δ L(x + δ, y)
 *     g ← μ·g + ∇ / max(‖∇_i‖₁, 1e-6)      ‖·‖₁ per sample, over all its pixels
 *     δ ← δ + epsIter · sign(g)
 *     δ ← clamp(δ, −ε, ε);   δ ← clip(x + δ) − x
 *   x_adv = x + δ
 *
 * With the default decay μ = 1, g is the running sum of normalized gradients.
 * As advertorch (per-sample L1 norm, not torchattacks' mean |∇|, which gives
 * the same signs but 0/0 on a zero gradient); the final clip is redundant and
 * harmless. Other differences are common.ts's (fixed box, frozen parameters).
 */
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { addPerturbation, checkLabels, lossGradient, projectPerturbation, resolvedSettings, sign, withFrozenParameters, type AttackSettings } from './common.js';

/** Settings of {@link mim}: the L∞ settings plus the momentum decay μ. */
export interface MimSettings extends AttackSettings {
  /** μ, the momentum decay (default 1.0, the paper's). */
  decay?: number;
}

/** MIM: g ← μ·g + ∇/‖∇‖₁ (per sample); δ ← clip_ε(δ + α·sign(g)), for nbIter steps from δ = 0. */
export function mim(model: Module, x: Tensor, labels: ArrayLike<number>, settings: MimSettings): Tensor {
  const { eps, epsIter, nbIter, clipMin, clipMax, targeted } = resolvedSettings(settings);
  const decay = settings.decay ?? 1.0;
  if (!Number.isFinite(decay)) throw new Error(`mim: decay must be a finite number, got ${settings.decay}`);
  checkLabels(x, labels);
  const clean = Float32Array.from(x.data);
  const delta = new Float32Array(x.size);
  const momentum = new Float32Array(x.size);
  const samples = x.shape[0] as number;
  const perSample = x.size / samples;
  return withFrozenParameters(model, () => {
    for (let iteration = 0; iteration < nbIter; iteration++) {
      const { grad } = lossGradient(model, addPerturbation(x, delta, clipMin, clipMax), labels, targeted);
      for (let n = 0; n < samples; n++) {
        const base = n * perSample;
        let l1 = 0;
        for (let i = 0; i < perSample; i++) l1 += Math.abs(grad[base + i] as number);
        const scale = 1 / Math.max(l1, 1e-6);
        for (let i = 0; i < perSample; i++) {
          const j = base + i;
          momentum[j] = decay * (momentum[j] as number) + (grad[j] as number) * scale; // g ← μg + ∇/‖∇‖₁
          delta[j] = (delta[j] as number) + epsIter * sign(momentum[j] as number); // δ ← δ + epsIter·sign(g)
        }
      }
      projectPerturbation(clean, delta, eps, clipMin, clipMax);
    }
    return addPerturbation(x, delta, clipMin, clipMax);
  });
}
