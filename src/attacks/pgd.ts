/**
 * PGD: BIM from a uniform random start in the ε-ball, δ₀ ~ U(−ε, ε) for each
 * pixel of each sample (advertorch's rand_init_delta), drawn from a seeded
 * generator so the same seed gives the same adversarial examples.
 * advertorch draws U(−1, 1)·ε from torch's global generator; the distribution
 * is the same, the stream is ours (sfc32, src/random.ts).
 */
import type { Module } from '../nn/module.js';
import type { Random } from '../random.js';
import type { Tensor } from '../tensor/tensor.js';
import { iterateSignSteps } from './bim.js';
import { resolvedSettings, type AttackSettings } from './common.js';

/** PGD: BIM from a uniform random start δ₀ ~ U(−ε, ε) drawn from `random`. */
export function pgd(model: Module, x: Tensor, labels: ArrayLike<number>, settings: AttackSettings, random: Random): Tensor {
  const { eps } = resolvedSettings(settings);
  const start = new Float32Array(x.size);
  for (let i = 0; i < start.length; i++) start[i] = random.uniformRange(-eps, eps);
  return iterateSignSteps(model, x, labels, settings, start);
}
