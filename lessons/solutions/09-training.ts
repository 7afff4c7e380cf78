/** A solution to exercise 9 (lessons/exercises/09-training.ts). */
export function sgdStep(
  theta: readonly number[],
  grad: readonly number[],
  buffer: readonly number[] | null,
  options: { lr: number; momentum: number; weightDecay: number },
): { theta: number[]; buffer: number[] } {
  const g = theta.map((value, i) => (grad[i] as number) + options.weightDecay * value);
  const b = buffer === null ? g : g.map((gi, i) => options.momentum * (buffer[i] as number) + gi);
  return { theta: theta.map((value, i) => value - options.lr * (b[i] as number)), buffer: b };
}
