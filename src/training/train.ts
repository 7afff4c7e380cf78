/**
 * One epoch of training, and evaluation.
 *
 * Randomness per epoch (shuffling, flips) comes from a generator seeded with
 * (seed, epoch), so a run resumed at epoch k replays exactly what an
 * uninterrupted run would have done from epoch k on.
 */
import { batchCount, batches } from '../data/loader.js';
import type { Dataset } from '../data/datasets.js';
import type { Module } from '../nn/module.js';
import type { NormStatistics } from '../nn/norm-statistics.js';
import { crossEntropy } from '../ops/loss.js';
import type { SGD } from '../optim/sgd.js';
import { reuseBuffers } from '../buffer-pool.js';
import { Random } from '../random.js';
import { noGrad } from '../tensor/autograd.js';
import type { Tensor } from '../tensor/tensor.js';
import { argmaxRows } from '../ops/reduce.js';

/** Running totals reported after each training batch. */
export interface BatchProgress {
  batch: number;
  batches: number;
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
}

/** Options of {@link trainEpoch}. */
export interface EpochOptions {
  batchSize: number;
  seed: number;
  epoch: number;
  flip: boolean;
  /** Replaces a clean batch by the images to train on (adversarial training); clean when omitted. */
  perturb?: (model: Module, images: Tensor, labels: Uint8Array) => Tensor;
  /** Called after every batch with the running loss, accuracy and speed. */
  onBatch?: (progress: BatchProgress) => void;
}

/** How many of the rows of `logits` have their largest value at the label. */
export function countCorrect(logits: Tensor, labels: ArrayLike<number>): number {
  return argmaxRows(logits).filter((predicted, n) => predicted === labels[n]).length;
}

export function epochRandom(seed: number, epoch: number): Random {
  return new Random(((seed + 1) * 1_000_003 + epoch) >>> 0);
}

/** The two generators of one epoch: `shuffle` orders the batches, `flip` draws the random flips. */
export function epochGenerators(seed: number, epoch: number): { shuffle: Random; flip: Random } {
  const random = epochRandom(seed, epoch);
  const shuffle = random.fork();
  return { shuffle, flip: random.fork() };
}

/**
 * A batch's mean cross-entropy above this means training has diverged (at
 * initialization it is ≈ ln 10 ≈ 2.3; a well-trained model's is far below 1).
 */
export const DIVERGED_LOSS = 1e4;

/** Stops a run whose loss has blown up or turned NaN, naming where (epoch is 0-based here, shown 1-based). */
export function checkNotDiverged(loss: number, epoch: number, step: number): void {
  if (loss < DIVERGED_LOSS) return;
  throw new Error(`training diverged: the loss of epoch ${epoch + 1}, step ${step} is ${loss}; lower the learning rate (--lr) and start again`);
}

/**
 * One SGD step on a batch: forward in training mode, mean cross-entropy,
 * backward, update (stopping with an error first if the loss diverged).
 * Returns the batch's loss and how many images it classified right. `where`
 * names the step in that error; `perturb` replaces the clean images by the
 * ones to train on (adversarial training).
 */
export function trainStep(
  model: Module, optimizer: SGD, images: Tensor, labels: Uint8Array,
  where: { epoch: number; step: number; perturb?: EpochOptions['perturb'] },
): { loss: number; correct: number } {
  // Nothing of a step outlives it but the parameters' gradients, so its buffers serve the next step.
  return reuseBuffers(() => {
    const inputs = where.perturb ? where.perturb(model, images, labels) : images;
    model.train();
    const logits = model.forward(inputs);
    const loss = crossEntropy(logits, labels);
    checkNotDiverged(loss.item(), where.epoch, where.step);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    return { loss: loss.item(), correct: countCorrect(logits, labels) };
  });
}

/** Trains `model` for one pass over `data`; returns the mean loss and accuracy seen. */
export function trainEpoch(model: Module, optimizer: SGD, data: Dataset, options: EpochOptions): { loss: number; accuracy: number; seconds: number } {
  const { shuffle, flip } = epochGenerators(options.seed, options.epoch);
  const total = batchCount(data, options.batchSize);
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  const start = performance.now();
  let index = 0;
  for (const batch of batches(data, { batchSize: options.batchSize, shuffle, ...(options.flip ? { flip } : {}) })) {
    const step = trainStep(model, optimizer, batch.images, batch.labels, { epoch: options.epoch, step: index + 1, perturb: options.perturb });
    const size = batch.labels.length;
    lossSum += step.loss * size;
    correct += step.correct;
    seen += size;
    index++;
    options.onBatch?.({ batch: index, batches: total, loss: lossSum / seen, accuracy: correct / seen, imagesPerSecond: seen / ((performance.now() - start) / 1000) });
  }
  return { loss: lossSum / seen, accuracy: correct / seen, seconds: (performance.now() - start) / 1000 };
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  batchSize: number;
  /** Inference statistics for the norm layers (left as they are when omitted). */
  statistics?: NormStatistics;
}

/** Clean accuracy in inference mode. */
export function evaluate(model: Module, data: Dataset, options: EvaluateOptions): number {
  model.eval();
  if (options.statistics) model.setNormStatistics(options.statistics);
  let correct = 0;
  noGrad(() => {
    for (const batch of batches(data, { batchSize: options.batchSize })) correct += reuseBuffers(() => countCorrect(model.forward(batch.images), batch.labels));
  });
  return correct / data.count;
}
