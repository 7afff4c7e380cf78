/**
 * Exercise 9: one step of SGD with momentum and weight decay, PyTorch's rule
 * (the one src/optim/sgd.ts implements):
 *
 *   g ← ∇θ + λ·θ                 weight decay λ
 *   b ← g                        on the first step (buffer === null)
 *   b ← μ·b + g                  afterwards (momentum μ)
 *   θ ← θ − lr·b
 *
 * Return the new θ and the new momentum buffer b (do not modify the inputs).
 *
 * Check: npm run lesson -- 9 --check  (follows the SGD class for four steps)
 */
export function sgdStep(
  theta: readonly number[],
  grad: readonly number[],
  buffer: readonly number[] | null,
  options: { lr: number; momentum: number; weightDecay: number },
): { theta: number[]; buffer: number[] } {
  // TODO
  throw new Error(`sgdStep is not written yet (${theta.length} values, ${grad.length} gradients, first step: ${buffer === null}, lr ${options.lr})`);
}
