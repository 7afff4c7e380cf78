/**
 * Learning-rate schedules, evaluated per epoch (0-based), as PyTorch's
 * schedulers are when stepped once an epoch.
 */
export type Schedule = (epoch: number) => number;

/** lr for every epoch. */
export function constantLR(lr: number): Schedule {
  return () => lr;
}

/** lr · γ^⌊epoch / stepSize⌋ (StepLR). */
export function stepLR(lr: number, stepSize: number, gamma = 0.1): Schedule {
  if (!Number.isInteger(stepSize) || stepSize < 1) throw new Error(`stepLR: stepSize must be a positive integer, got ${stepSize}`);
  return (epoch) => lr * gamma ** Math.floor(epoch / stepSize);
}

/**
 * lr · γ^(number of milestones ≤ epoch) (MultiStepLR). The paper divides by 10
 * at epoch 30 for MNIST and Fashion-MNIST: multiStepLR(0.1, [30], 0.1).
 */
export function multiStepLR(lr: number, milestones: readonly number[], gamma = 0.1): Schedule {
  const sorted = [...milestones].sort((a, b) => a - b);
  return (epoch) => lr * gamma ** sorted.filter((milestone) => milestone <= epoch).length;
}
