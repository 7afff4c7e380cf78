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
 * It runs bim.ts's loop with g as the step direction (that loop's projection
 * of the start δ = 0 changes nothing for images inside the box).
 */
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { iterateSignSteps } from './bim.js';
import { checkLabels, type AttackSettings } from './common.js';

/** Settings of {@link mim}: the L∞ settings plus the momentum decay μ. */
export interface MimSettings extends AttackSettings {
  /** μ, the momentum decay (default 1.0, the paper's). */
  decay?: number;
}

/** MIM: g ← μ·g + ∇/‖∇‖₁ (per sample); δ ← clip_ε(δ + α·sign(g)), for nbIter steps from δ = 0. */
export function mim(model: Module, x: Tensor, labels: ArrayLike<number>, settings: MimSettings): Tensor {
  const decay = settings.decay ?? 1.0;
  if (!Number.isFinite(decay)) throw new Error(`mim: decay must be a finite number, got ${settings.decay}`);
  checkLabels(x, labels);
  const momentum = new Float32Array(x.size);
  const samples = x.shape[0] as number;
  const perSample = x.size / samples;
  // each step goes along sign(g), after g ← μ·g + ∇/‖∇‖₁
  const accumulate = (grad: Float32Array): Float32Array => {
    for (let n = 0; n < samples; n++) {
      const base = n * perSample;
      let l1 = 0;
      for (let i = 0; i < perSample; i++) l1 += Math.abs(grad[base + i] as number);
      const scale = 1 / Math.max(l1, 1e-6);
      for (let i = base; i < base + perSample; i++) momentum[i] = decay * (momentum[i] as number) + (grad[i] as number) * scale;
    }
    return momentum;
  };
  return iterateSignSteps(model, x, labels, settings, new Float32Array(x.size), accumulate);
}
