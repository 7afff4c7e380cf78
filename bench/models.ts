/**
 * Whole-model workloads for `npm run bench`: a training step (forward,
 * cross-entropy, backward, SGD with momentum and weight decay), an evaluation
 * forward pass, and a 20-step PGD attack, each on a batch of 128 MNIST-sized
 * images, for smallCnn and resnet20 (BatchNorm, as in the paper's baseline).
 */
import { buildModel, crossEntropy, modelConfig, noGrad, pgd, rand, Random, reuseBuffers, SGD, type Module, type Tensor } from '../src/index.js';

export interface ModelWorkload {
  name: string;
  /** Images processed per run (for images/s). */
  images: number;
  /** Prepares the model and returns one run of the workload. */
  setup: () => () => unknown;
  /** Rows too slow to repeat many times or to run on the baseline by default (see main.ts). */
  slow: boolean;
}

export const BATCH = 128;

function batch(seed: number): { x: Tensor; labels: Uint8Array } {
  const random = new Random(seed);
  return { x: rand([BATCH, 1, 28, 28], { random }), labels: Uint8Array.from({ length: BATCH }, () => Math.floor(random.uniform() * 10)) };
}

function trainStep(architecture: string): ModelWorkload {
  return {
    name: `${architecture} train step`,
    images: BATCH,
    slow: architecture !== 'small-cnn',
    setup: () => {
      const model = buildModel(modelConfig(architecture, 'bn'), 0);
      const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
      const { x, labels } = batch(1);
      // as the training loop runs a step: its buffers serve the next one
      return () => reuseBuffers(() => {
        model.train();
        const loss = crossEntropy(model.forward(x), labels);
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        return loss.item();
      });
    },
  };
}

function evalForward(architecture: string): ModelWorkload {
  return {
    name: `${architecture} eval forward`,
    images: BATCH,
    slow: false,
    setup: () => {
      const model = buildModel(modelConfig(architecture, 'bn'), 0).eval();
      const { x } = batch(2);
      // as evaluation runs a batch: nothing of it is used afterwards, so its buffers serve the next
      return () => reuseBuffers(() => noGrad(() => model.forward(x).data[0]));
    },
  };
}

function pgd20(architecture: string): ModelWorkload {
  return {
    name: `${architecture} PGD-20`,
    images: BATCH,
    slow: true,
    setup: () => {
      const model: Module = buildModel(modelConfig(architecture, 'bn'), 0).eval();
      const { x, labels } = batch(3);
      return () => pgd(model, x, labels, { eps: 0.3, nbIter: 20 }, new Random(4));
    },
  };
}

export function modelWorkloads(): ModelWorkload[] {
  return [
    trainStep('small-cnn'),
    evalForward('small-cnn'),
    pgd20('small-cnn'),
    trainStep('resnet20'),
    evalForward('resnet20'),
    pgd20('resnet20'),
  ];
}
