/**
 * PGD by an attacker who owns only some images of a batch.
 *
 * With batch statistics (BatchNorm's "B", RobustNorm), every image's output
 * depends on the other images of its batch through the batch's mean and
 * variance (or range). The paper attacks whole batches: every image is
 * perturbed at once, so the batch's statistics move with the attack, and the
 * gradient of each image flows through the statistics of all the others. A
 * realistic attacker controls one input among many clean ones; then the
 * statistics barely move (1/128 of the batch), and the model behaves almost
 * like a fixed function of that one image.
 *
 * Here the attacker owns the images marked in `owned`. It climbs the loss of
 * its own images only,
 *
 *   L = Σ_{i owned} CE(f(x + δ)_i, y_i),    f seeing the whole batch,
 *
 * and moves only their pixels (δ_i = 0 for the others, which stay clean). The
 * steps are PGD's (bim.ts): a random start in the ε-ball, then steps of
 * epsIter · sign(∇L), each projected onto the ε-ball and into the box.
 */
import type { Module } from '../nn/module.js';
import { logSoftmax } from '../ops/loss.js';
import type { Random } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { iterateSignSteps } from './bim.js';
import { checkLabels, resolvedSettings, type AttackSettings } from './common.js';

/**
 * ∂L/∂x for L = Σ_i w_i · CE(f(x)_i, y_i): the cross-entropy of the images
 * with weight 1, through a model that sees the whole batch.
 *   CE_i = −log softmax(f(x)_i)[y_i],  so  L = −Σ_{i,k} log softmax(f(x))_{ik} · w_i·[k = y_i]
 */
export function ownedLossGradient(model: Module, x: Tensor, labels: ArrayLike<number>, weights: readonly number[]): Float32Array {
  const input = new Tensor(Float32Array.from(x.data), x.shape, true);
  const logits = model.forward(input);
  const classes = logits.shape[1] as number;
  const picked = new Float32Array(logits.size);
  weights.forEach((weight, i) => (picked[i * classes + (labels[i] as number)] = -weight));
  logSoftmax(logits).mul(new Tensor(picked, logits.shape)).sum().backward();
  const grad = input.grad?.data;
  if (grad === undefined) throw new Error('attack: the model output does not depend on its input');
  return Float32Array.from(grad);
}

/**
 * PGD on the images marked in `owned` (one flag per image of `x`); the other
 * images stay clean and only the owned images' loss is climbed. Returns the
 * whole batch: owned images perturbed, the others as they were.
 */
export function pgdOnPartOfBatch(model: Module, x: Tensor, labels: ArrayLike<number>, owned: readonly boolean[], settings: AttackSettings, random: Random): Tensor {
  checkLabels(x, labels);
  const samples = x.shape[0] as number;
  if (owned.length !== samples) throw new Error(`pgdOnPartOfBatch: ${owned.length} ownership flags for a batch of ${samples}`);
  const { eps, targeted } = resolvedSettings(settings);
  if (targeted) throw new Error('pgdOnPartOfBatch: a targeted attack is not supported (it climbs the owned images\' loss)');
  const perSample = x.size / samples;
  const isOwnedPixel = (i: number) => owned[Math.floor(i / perSample)] === true;
  const start = new Float32Array(x.size);
  for (let i = 0; i < start.length; i++) if (isOwnedPixel(i)) start[i] = random.uniformRange(-eps, eps);
  const weights = owned.map((mine) => (mine ? 1 : 0));
  // a pixel of a clean image never moves: sign(0) = 0
  const ownPixelsOnly = (grad: Float32Array) => grad.map((value, i) => (isOwnedPixel(i) ? value : 0));
  return iterateSignSteps(model, x, labels, settings, start, ownPixelsOnly, (adversarial) => ownedLossGradient(model, adversarial, labels, weights));
}
