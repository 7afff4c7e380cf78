/**
 * Exercise 8: FGSM, by hand.
 *
 *   x_adv = clip(x + ε · sign(∇x L(x, y)), 0, 1)
 *
 * where L is the cross-entropy summed over the batch (crossEntropy(logits,
 * labels, 'sum')). Make a copy of x that requires grad, run the model on it,
 * call backward() on the loss, and read the copy's .grad. (The model is in
 * eval mode already; the check compares your result with the library's fgsm.)
 *
 * Check: npm run lesson -- 8 --check
 */
import type { Module, Tensor } from '../../src/index.js';

export function myFgsm(model: Module, x: Tensor, labels: Uint8Array, eps: number): Tensor {
  // TODO
  throw new Error(`myFgsm is not written yet (model ${model.constructor.name}, x ${x.shape}, ${labels.length} labels, ε = ${eps})`);
}
