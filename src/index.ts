/**
 * robustnorm: a readable TypeScript deep-learning framework that reproduces
 * "Towards an Adversarially Robust Normalization Approach" (RobustNorm).
 *
 * This entry point is the library: tensors and autograd, the ops, the kernel
 * backends, layers (BatchNorm, RobustNorm, LayerNorm and the rest), models,
 * optimizers, data, checkpoints, training and the attacks. The paper's
 * experiments (tables, figures, the report, `runReproduction`) are a second
 * entry point, `robustnorm/experiments`; what the library uses inside is a
 * third, `robustnorm/internals`.
 *
 * @packageDocumentation
 */
export * from './browser.js';

// Node only: files (datasets, checkpoints, a training run's folder)
export { loadDataset, limitDataset, DATASET_NAMES, FASHION_MNIST_CLASSES, type Dataset, type DatasetSplit, type DatasetName } from './data/datasets.js';
export { saveCheckpoint, loadCheckpoint } from './checkpoint/checkpoint-file.js';
export { saveSafetensors, loadSafetensors } from './checkpoint/safetensors-file.js';
export { trainingRun, type TrainingRunOptions, type EpochRecord } from './training/run.js';
