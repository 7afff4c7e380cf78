/**
 * robustnorm's core, for a browser as well as Node: tensors and autograd, the
 * ops, the kernel backends, layers, models, optimizers, batching, checkpoints
 * as bytes (`encodeCheckpoint`, `decodeCheckpoint`), training steps and the
 * attacks. Nothing here imports a `node:` module: what only Node has (worker
 * threads, the number of cores, V8's flags, headless-gl) is reached at run
 * time through platform.ts, and a page does without it. The package's
 * `browser` export condition points here; the main entry, index.ts, adds the
 * Node-only parts (datasets and checkpoints in files, the training run's
 * folder). What the library uses inside (the norms' per-channel math, buffer
 * checks, parsers, fused twins) is in `robustnorm/internals` (internals.ts).
 *
 * @packageDocumentation
 */

// Tensors, autograd, random numbers
export { Tensor, zeros, ones, full, scalar, fromArray, randn, rand, formatTensor, type DType, type TypedArray, type Nested, type TensorOptions, type RandomOptions } from './tensor/tensor.js';
export { noGrad, isGradEnabled, setDetectAnomaly } from './tensor/autograd.js';
export { broadcastShapes, stridesOf, type Shape } from './tensor/shape.js';
export { Random, manualSeed } from './random.js';
export { reuseBuffers } from './buffer-pool.js';
export { gradCheck, assertGradCheck, type GradCheckOptions, type GradCheckResult } from './testing/gradcheck.js';

// Ops: all of them in `ops` (most are also Tensor methods); the four a model's code calls by name here too
export * as ops from './ops/index.js';
export { matmul } from './ops/matmul.js';
export { conv2d, type Conv2dOptions } from './ops/conv2d.js';
export { logSoftmax, crossEntropy } from './ops/loss.js';

// Kernel backends, and the one switch to the readable path: setBackend('reference')
export {
  setBackend, getBackend, availableBackends, isBackendAvailable, resolveAuto, disposeBackends, fastPathFor, lastKernelRun,
  referenceBackend, BACKEND_NAMES, type BackendName, type BackendChoice, type KernelBackend, type KernelRun,
} from './kernels/backend.js';

// Layers
export { Module } from './nn/module.js';
export { Conv2d, Linear, ReLU, AvgPool2d, GlobalAvgPool2d, Flatten, NormalizeInput, Sequential, type Conv2dLayerOptions, type LinearOptions, type AvgPool2dOptions } from './nn/layers.js';
export { Identity } from './nn/identity.js';
export { BatchNorm2d, batchNorm2d, type BatchNormOptions } from './nn/batch-norm.js';
export { RobustNorm2d, robustNorm2d, type RobustNormOptions } from './nn/robust-norm.js';
export { LayerNorm, layerNorm, type LayerNormOptions } from './nn/layer-norm.js';
export { NORM_STATISTICS, type NormStatistics } from './nn/norm-statistics.js';
export { makeNorm, NORM_KINDS, type NormKind, type NormConfig } from './nn/norm-factory.js';

// Models
export { ResNet, BasicBlock, type ResNetOptions } from './models/resnet.js';
export { SmallCnn, type SmallCnnOptions } from './models/small-cnn.js';
export { buildModel, modelConfig, MNIST_NORMALIZATION, type ModelConfig } from './models/build.js';

// Optimizers
export { SGD, type SgdOptions } from './optim/sgd.js';
export { Adam, type AdamOptions } from './optim/adam.js';
export { constantLR, stepLR, multiStepLR, type Schedule } from './optim/schedules.js';

// Data, checkpoints (as bytes), training
export { batches, batchOf, type Batch, type BatchOptions } from './data/loader.js';
export { encodeCheckpoint, decodeCheckpoint, type CheckpointMetadata, type LoadedCheckpoint } from './checkpoint/checkpoint.js';
export { encodeSafetensors, decodeSafetensors } from './checkpoint/safetensors.js';
export { trainEpoch, trainStep, evaluate, type EpochOptions, type EvaluateOptions } from './training/train.js';

// Attacks
export { fgsm } from './attacks/fgsm.js';
export { bim } from './attacks/bim.js';
export { pgd } from './attacks/pgd.js';
export { pgdWithRestarts, predictions, type RestartsResult } from './attacks/restarts.js';
export { pgdOnPartOfBatch } from './attacks/part-of-batch.js';
export { mim, type MimSettings } from './attacks/mim.js';
export { cw, type CwSettings } from './attacks/cw.js';
export type { AttackSettings } from './attacks/common.js';
export { runAttack, ATTACK_NAMES, type AttackName, type AttackConfig } from './attacks/registry.js';
export { evaluateRobustness, type RobustnessOptions, type RobustnessResult, type AttackResult } from './attacks/evaluate.js';
export { epsToPixel, epsToPaper, PAPER_INPUT_STD, type EpsUnits } from './attacks/units.js';
export { adversarialTraining, type AdversarialTrainingSettings, type AdversarialTrainingOptions } from './attacks/adversarial-training.js';
