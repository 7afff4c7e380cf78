/**
 * PGD with random restarts: the attack run `restarts` times from fresh random
 * starts, an image counting as robust only if every run leaves it correctly
 * classified (Madry et al. 2017; Carlini et al. 2019, "On Evaluating
 * Adversarial Robustness", §4: one run of a randomized attack can miss what
 * another finds).
 *
 * Each run's batch is classified as a whole, as `evaluateRobustness` does, so
 * with batch statistics an image is judged among the images it was attacked
 * with. The returned images hold, per image, the first run's image that
 * fooled the model, or the last run's where none did: the adversarial images
 * to transfer to another model.
 */
import { reuseBuffers } from '../buffer-pool.js';
import type { Module } from '../nn/module.js';
import type { Random } from '../random.js';
import { noGrad } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';
import { argmaxRows } from '../ops/reduce.js';
import type { AttackSettings } from './common.js';
import { pgd } from './pgd.js';

/** Per image: whether it survived every run; and the adversarial images to transfer. */
export interface RestartsResult {
  correct: boolean[];
  adversarial: Tensor;
}

/** The model's predicted class for each image of a batch (no gradients recorded). */
export function predictions(model: Module, x: Tensor): number[] {
  return reuseBuffers(() => noGrad(() => argmaxRows(model.forward(x))));
}

/** PGD `restarts` times from fresh random starts; an image is correct only if it survives every run. */
export function pgdWithRestarts(model: Module, x: Tensor, labels: ArrayLike<number>, settings: AttackSettings, random: Random, restarts: number): RestartsResult {
  if (!Number.isInteger(restarts) || restarts < 1) throw new Error(`pgdWithRestarts: restarts must be a positive integer, got ${restarts}`);
  const samples = x.shape[0] as number;
  const perSample = x.size / samples;
  const correct = new Array<boolean>(samples).fill(true);
  const kept = new Float32Array(x.size);
  for (let run = 0; run < restarts; run++) {
    const adversarial = pgd(model, x, labels, settings, random);
    const predicted = predictions(model, adversarial);
    for (let n = 0; n < samples; n++) {
      // keep an image that fools the model the first time one does; otherwise the latest run's
      if (!correct[n]) continue;
      kept.set(adversarial.data.subarray(n * perSample, (n + 1) * perSample) as Float32Array, n * perSample);
      if (predicted[n] !== labels[n]) correct[n] = false;
    }
  }
  return { correct, adversarial: new Tensor(kept, x.shape) };
}
