/**
 * A solution to exercise 6b: ∂L/∂x for L = the cross-entropy of one image of
 * the batch, through a model that sees the whole batch. The one-hot mask
 * picks log softmax(f(x))[image, y_image]; every other entry is multiplied by
 * 0, so only that image's loss reaches backward(), through whatever the
 * model's normalization layers share across the batch.
 */
import { logSoftmax, Tensor, type Module } from '../../src/index.js';

export function ownImageGradient(model: Module, x: Tensor, labels: ArrayLike<number>, image: number): Float32Array {
  const input = new Tensor(Float32Array.from(x.data), x.shape, true);
  const logits = model.forward(input);
  const classes = logits.shape[1] as number;
  const pick = new Float32Array(logits.size);
  pick[image * classes + (labels[image] as number)] = -1; // L = −log softmax(f(x))[image, y_image]
  logSoftmax(logits).mul(new Tensor(pick, logits.shape)).sum().backward();
  return Float32Array.from(input.grad?.data ?? []);
}
