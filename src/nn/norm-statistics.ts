import type { DType, Tensor } from '../tensor/tensor.js';

/**
 * Which statistics a normalization layer uses at inference (in `eval()` mode).
 * In training mode every layer uses the batch's own statistics and updates its
 * running averages; these modes matter only at inference.
 *
 *   population       running mean and running variance/range (usual BatchNorm; the paper's "P")
 *   batch            the statistics of the batch being classified (the paper's "B";
 *                    RobustNorm's default, "RN"); gradients flow through them
 *   population-mean  running mean with the batch's variance/range (the paper's "RN w/ μ̂_P")
 */
export type NormStatistics = 'population' | 'batch' | 'population-mean';

/** The three inference modes, for parsing and help texts. */
export const NORM_STATISTICS: readonly NormStatistics[] = ['population', 'batch', 'population-mean'];

/** Checks a mode name (`population`, `batch`, `population-mean`), with an error listing the choices. */
export function parseNormStatistics(value: string): NormStatistics {
  if ((NORM_STATISTICS as readonly string[]).includes(value)) return value as NormStatistics;
  throw new Error(`unknown normalization statistics "${value}"; choose one of ${NORM_STATISTICS.join(', ')}`);
}

/**
 * A normalization layer whose inference statistics can be chosen
 * (BatchNorm2d, RobustNorm2d): `Module.setNormStatistics` sets them on every
 * layer that declares `choosesStatistics`, not on whatever has a field named
 * `statistics`.
 */
export interface ChoosesStatistics {
  readonly choosesStatistics: true;
  statistics: NormStatistics;
}

/** Whether a layer is a {@link ChoosesStatistics}. */
export function choosesStatistics(layer: object): layer is ChoosesStatistics {
  return (layer as Partial<ChoosesStatistics>).choosesStatistics === true;
}

/**
 * Which of a layer's two statistics come from the current batch; the others
 * are running averages (constants, which no gradient flows through). Every
 * norm layer uses these two names: the centre (`meanFromBatch`) and the scale
 * (`scaleFromBatch`: BatchNorm's variance, RobustNorm's range).
 */
export interface BatchStatisticsUsed {
  meanFromBatch: boolean;
  scaleFromBatch: boolean;
}

/** {@link BatchStatisticsUsed} in training (both from the batch) and at inference in mode `mode`. */
export function usesBatchStatistics(training: boolean, mode: NormStatistics): BatchStatisticsUsed {
  if (training || mode === 'batch') return { meanFromBatch: true, scaleFromBatch: true };
  if (mode === 'population-mean') return { meanFromBatch: false, scaleFromBatch: true };
  return { meanFromBatch: false, scaleFromBatch: false };
}

/** The running averages a BatchNorm layer keeps (updated in place during training). */
export interface BatchNormState {
  runningMean: Tensor;
  runningVar: Tensor;
}

/** Mode and constants of one `batchNorm2d` call (and of its fused twin, `batchNorm2dFused`). */
export interface BatchNormSettings {
  training: boolean;
  statistics: NormStatistics;
  eps: number;
  momentum: number;
  /** Apply a ReLU to the output: relu(BatchNorm(x)) (the fused twin folds it into its loops). */
  relu?: boolean;
}

/** The running averages a RobustNorm layer keeps (updated in place during training). */
export interface RobustNormState {
  runningMean: Tensor;
  runningRange: Tensor;
}

/** Mode and constants of one `robustNorm2d` call (and of its fused twin, `robustNorm2dFused`). */
export interface RobustNormSettings {
  training: boolean;
  statistics: NormStatistics;
  power: number;
  eps: number;
  momentum: number;
  /** Apply a ReLU to the output: relu(RobustNorm(x)) (the fused twin folds it into its loops). */
  relu?: boolean;
}

/** Options of `BatchNorm2d`: ε (default 1e-5), momentum τ (default 0.1), dtype. */
export interface BatchNormOptions {
  eps?: number;
  /** τ in μ̂ ← (1 − τ) μ̂ + τ μ_B. */
  momentum?: number;
  /** float64 for gradient checks. */
  dtype?: DType;
}

/** Options of `RobustNorm2d`: power p (default 0.2), ε, momentum τ, dtype. */
export interface RobustNormOptions {
  /** p in r^p (default 0.2, the paper's choice). */
  power?: number;
  eps?: number;
  /** τ in the running averages. */
  momentum?: number;
  /** float64 for gradient checks. */
  dtype?: DType;
}
