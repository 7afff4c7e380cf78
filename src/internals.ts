/**
 * `robustnorm/internals`: what the library uses inside, for tests, lessons,
 * the playground and anyone who wants to take a layer apart. Nothing here is
 * needed to build, train or attack a model (that is the main entry,
 * `robustnorm`), and these names may change between versions.
 *
 * - the per-channel math of the norm layers, as the layers call it
 *   (standardize…, rangeNormalize…), and the layers written with autograd
 *   ops only (…Composed), their independent check;
 * - the fused float32 twins of BatchNorm and RobustNorm (src/fast/), the
 *   ReLU folded into a norm (normRelu), relu(a + b) in one pass (addRelu);
 * - autograd's graph types, shape helpers, buffer checks, gpu.js details;
 * - parsers and limits of the command line and checkpoint files, progress
 *   hooks, attack helpers.
 *
 * Browser-safe, like the core (browser.ts).
 *
 * @packageDocumentation
 */

// Autograd, shapes, buffers
export { type BackwardFn, type BackwardOptions, type GraphNode } from './tensor/autograd.js';
export { formatShape, sizeOf } from './tensor/shape.js';
export { defaultRandom } from './random.js';
export { keepBuffer, setCheckBuffers } from './buffer-pool.js';
export { addRelu } from './ops/binary.js';
export { argmaxOf } from './ops/reduce.js';
export type { Labels, Reduction } from './ops/loss.js';

// Kernels
export { glRenderer } from './kernels/gpujs-backend.js';
export { loopsStartedOnHelper, useHelperWorkerScript } from './kernels/helper-thread.js';
export { helperThreadStarted } from './kernels/backend.js';
export type { MatmulShape, Conv2dShape, FloatArray } from './kernels/shapes.js';

// The norm layers' insides
export { standardizeForward, standardize, standardizeBackward, meanAndVariance, type StandardizeStatistics, type StandardizeOptions, type BatchNormState, type BatchNormSettings } from './nn/batch-norm.js';
export { rangeNormalizeForward, rangeNormalize, rangeNormalizeBackward, type RangeNormalizeOptions, type RangeStatistics, type RobustNormState, type RobustNormSettings } from './nn/robust-norm.js';
export type { ChannelValues } from './nn/channel-norm.js';
export { batchNormComposed, robustNormComposed, layerNormComposed } from './nn/composed-norms.js';
export { choosesStatistics, parseNormStatistics, type BatchStatisticsUsed, type ChoosesStatistics } from './nn/norm-statistics.js';
export { normRelu, type FusesRelu } from './nn/fused-relu.js';
export { parseNormKind } from './nn/norm-factory.js';
export { batchNorm2dFused } from './fast/batch-norm-fused.js';
export { robustNorm2dFused } from './fast/robust-norm-fused.js';

// Models, checkpoints, training, attacks
export { checkModelConfig, MAX_CLASSES, MAX_RESNET_DEPTH } from './models/build.js';
export type { BasicBlockOptions } from './models/resnet.js';
export { batchCount } from './data/loader.js';
export { restoreMomentum } from './checkpoint/checkpoint.js';
export { countCorrect, type BatchProgress } from './training/train.js';
export { noProgress, type Progress, type StartProgress } from './training/progress.js';
export type { TrainingReporting, TrainingPerturbation } from './training/run.js';
export { withFrozenParameters, lossGradient } from './attacks/common.js';
export { parseAttackNames } from './attacks/registry.js';
export { pgdTrainingPerturbation } from './attacks/adversarial-training.js';

// What the playground (web/) shares with the library: the attack settings of the paper's tables,
// its published numbers and intervals, Figure 2's statistics shift, the CLI's epoch shuffles,
// convolution sizes and the kernels' error measure
export { paperAttackSettings } from './attacks/registry.js';
export { PAPER_TABLE1, type PaperTable, type PaperAccuracyRow } from './experiments/paper-results.js';
export { wilsonInterval } from './experiments/intervals.js';
export { batchShift, lastBatchNorm } from './experiments/statistics-shift.js';
export { epochGenerators } from './training/train.js';
export { convOutputSize } from './kernels/shapes.js';
export { relativeError } from './testing/relative-error.js';
