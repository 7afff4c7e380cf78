/**
 * Exercise 6b: the gradient an attacker who owns one image of a batch climbs.
 *
 * The attacker owns image `image` of the batch x (the others are clean and
 * not its business). Its loss is that image's cross-entropy alone,
 *
 *   L = CE(f(x)_image, y_image) = −log softmax(f(x)_image)[y_image],
 *
 * where the model f sees the whole batch. Return ∂L/∂x for the WHOLE batch
 * (x.size values). With population statistics only image `image`'s pixels get
 * a gradient; with batch statistics the other images' pixels get one too,
 * because they move the mean and variance that normalize image `image`.
 *
 * Tools: new Tensor(data, shape, true) for an input that records its
 * gradient, model.forward, logSoftmax (or crossEntropy on one row),
 * .mul, .sum, .backward(), and input.grad.
 *
 * Check: npm run lesson -- 6b --check  (compares with the library's attack loss and with finite differences)
 */
import type { Module, Tensor } from '../../src/index.js';

export function ownImageGradient(model: Module, x: Tensor, labels: ArrayLike<number>, image: number): Float32Array {
  // TODO
  throw new Error(`ownImageGradient is not written yet (batch ${x.shape}, ${labels.length} labels, image ${image}, model ${model.constructor.name})`);
}
