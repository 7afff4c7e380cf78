/** A solution to exercise 8 (lessons/exercises/08-attacks.ts). */
import { crossEntropy, Tensor, type Module } from '../../src/index.js';

export function myFgsm(model: Module, x: Tensor, labels: Uint8Array, eps: number): Tensor {
  const input = new Tensor(Float32Array.from(x.data), x.shape, true);
  crossEntropy(model.forward(input), labels, 'sum').backward();
  const grad = input.grad?.data ?? new Float32Array(x.size);
  const adversarial = Float32Array.from(x.data, (pixel, i) => Math.min(Math.max(pixel + eps * Math.sign(grad[i] as number), 0), 1));
  return new Tensor(adversarial, x.shape);
}
