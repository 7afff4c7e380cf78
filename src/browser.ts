/**
 * robustnorm's core, for a browser as well as Node: tensors and autograd, the
 * ops, the kernel backends, layers, models, optimizers, batching, checkpoints
 * as bytes (`encodeCheckpoint`, `decodeCheckpoint`), training steps and the
 * attacks. Nothing here imports a `node:` module: what only Node has (worker
 * threads, the number of cores, V8's flags, headless-gl) is reached at run
 * time through platform.ts, and a page does without it. The package's
 * `browser` export condition points here; the main entry, index.ts, adds the
 * Node-only parts (datasets and checkpoints in files, the training run's
 * folder).
 *
 * @packageDocumentation
 */
export { Tensor, zeros, ones, full, scalar, fromArray, randn, rand, formatTensor, type DType, type TypedArray, type Nested, type TensorOptions, type RandomOptions } from './tensor/tensor.js';
export { noGrad, isGradEnabled, setDetectAnomaly, type BackwardFn, type GraphNode, type BackwardOptions } from './tensor/autograd.js';
export { broadcastShapes, formatShape, sizeOf, stridesOf, type Shape } from './tensor/shape.js';
export { Random, manualSeed, defaultRandom } from './random.js';
export { reuseBuffers, keepBuffer, setCheckBuffers } from './buffer-pool.js';
export { add, addRelu, sub, mul, div } from './ops/binary.js';
export { neg, exp, log, sqrt, pow, abs, sign, clamp, relu, tanh } from './ops/unary.js';
export { sum, mean, max, min, argmaxRows, argmaxOf } from './ops/reduce.js';
export { reshape, flatten, permute, transpose, broadcastTo } from './ops/reshape.js';
export { matmul } from './ops/matmul.js';
export { conv2d, type Conv2dOptions } from './ops/conv2d.js';
export { avgPool2d, globalAvgPool2d } from './ops/pool.js';
export { logSoftmax, crossEntropy, type Labels, type Reduction } from './ops/loss.js';
export {
  setBackend, getBackend, availableBackends, isBackendAvailable, resolveAuto, disposeBackends, lastKernelRun,
  referenceBackend, BACKEND_NAMES, type BackendName, type BackendChoice, type KernelBackend, type KernelRun,
} from './kernels/backend.js';
export { glRenderer } from './kernels/gpujs-backend.js';
export type { MatmulShape, Conv2dShape, FloatArray } from './kernels/shapes.js';
export { gradCheck, assertGradCheck, type GradCheckOptions, type GradCheckResult } from './testing/gradcheck.js';
export { Module } from './nn/module.js';
export { NORM_STATISTICS, parseNormStatistics, choosesStatistics, type NormStatistics, type ChoosesStatistics, type BatchStatisticsUsed } from './nn/norm-statistics.js';
export type { ChannelValues } from './nn/channel-norm.js';
export { batchNormComposed, robustNormComposed, layerNormComposed } from './nn/composed-norms.js';
export { BatchNorm2d, batchNorm2d, type BatchNormOptions, type BatchNormState, type BatchNormSettings } from './nn/batch-norm.js';
export { RobustNorm2d, robustNorm2d, type RobustNormState, type RobustNormSettings, rangeNormalizeForward, rangeNormalize, rangeNormalizeBackward, type RangeNormalizeOptions, type RobustNormOptions, type RangeStatistics } from './nn/robust-norm.js';
export { LayerNorm, layerNorm, type LayerNormOptions } from './nn/layer-norm.js';
export { Identity } from './nn/identity.js';
export { normRelu, type FusesRelu } from './nn/fused-relu.js';
export { standardizeForward, standardize, standardizeBackward, meanAndVariance, type StandardizeStatistics, type StandardizeOptions } from './nn/batch-norm.js';
export { Conv2d, Linear, ReLU, AvgPool2d, GlobalAvgPool2d, Flatten, NormalizeInput, Sequential, type Conv2dLayerOptions, type LinearOptions, type AvgPool2dOptions } from './nn/layers.js';
export { makeNorm, parseNormKind, NORM_KINDS, type NormKind, type NormConfig } from './nn/norm-factory.js';
export { ResNet, BasicBlock, type ResNetOptions, type BasicBlockOptions } from './models/resnet.js';
export { SmallCnn, type SmallCnnOptions } from './models/small-cnn.js';
export { buildModel, checkModelConfig, modelConfig, MNIST_NORMALIZATION, MAX_CLASSES, MAX_RESNET_DEPTH, type ModelConfig } from './models/build.js';
export { SGD, type SgdOptions } from './optim/sgd.js';
export { Adam, type AdamOptions } from './optim/adam.js';
export { constantLR, stepLR, multiStepLR, type Schedule } from './optim/schedules.js';
export { batches, batchOf, batchCount, type Batch, type BatchOptions } from './data/loader.js';
export { encodeCheckpoint, decodeCheckpoint, restoreMomentum, type CheckpointMetadata, type LoadedCheckpoint } from './checkpoint/checkpoint.js';
export { encodeSafetensors, decodeSafetensors } from './checkpoint/safetensors.js';
export { trainEpoch, trainStep, evaluate, countCorrect, type EpochOptions, type EvaluateOptions, type BatchProgress } from './training/train.js';
export { noProgress, type Progress, type StartProgress } from './training/progress.js';
export { fgsm } from './attacks/fgsm.js';
export { bim } from './attacks/bim.js';
export { pgd } from './attacks/pgd.js';
export { pgdWithRestarts, predictions, type RestartsResult } from './attacks/restarts.js';
export { pgdOnPartOfBatch } from './attacks/part-of-batch.js';
export { mim, type MimSettings } from './attacks/mim.js';
export { cw, type CwSettings } from './attacks/cw.js';
export { withFrozenParameters, lossGradient, type AttackSettings } from './attacks/common.js';
export { runAttack, parseAttackNames, ATTACK_NAMES, type AttackName, type AttackConfig } from './attacks/registry.js';
export { evaluateRobustness, type RobustnessOptions, type RobustnessResult, type AttackResult } from './attacks/evaluate.js';
export { epsToPixel, epsToPaper, PAPER_INPUT_STD, type EpsUnits } from './attacks/units.js';
export { pgdTrainingPerturbation, adversarialTraining, type AdversarialTrainingSettings, type AdversarialTrainingOptions } from './attacks/adversarial-training.js';
