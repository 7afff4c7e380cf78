/**
 * The paper's experiments, as a second entry point (`robustnorm/experiments`):
 * each table and figure (table1.ts, figure3.ts, …), the presets and settings,
 * a whole reproduction with its report and SVG figures, the 95% intervals and
 * the merging of seeds. The library itself is the main entry point.
 *
 * @module experiments
 */
export { runReproduction, type ReproduceOptions } from './reproduce.js';
export { PRESETS, PRESET_NAMES, EXPERIMENTS, EXPERIMENT_NUMBERS, experimentName, presetSettings, parseExperimentList, type ReproductionSettings, type StrongCwSettings, STRONG_CW, type ExperimentNumber, type AttackCheckSettings, ATTACK_CHECK_SIZES } from './settings.js';
export { renderReport } from './report.js';
export { renderFigures } from './report-figures.js';
export type { ReproductionResults, RunMetadata, ModelRecord } from './results.js';
export { createContext, paperAttackConfig, type ExperimentContext, type AccuracyRow, type StrongCwRow, type RobustnessRequest } from './context.js';
export { wilsonInterval, accuracyInterval, clearDifference, type Interval } from './intervals.js';
export { mergeSeeds, meanAndSpread } from './seeds.js';
export { ModelStore, modelSpec, batchNormVsRobustNorm, type ModelSpec, type TrainedModel, type EvaluatedModel } from './trained-models.js';
export { table1, type Table1Result } from './table1.js';
export { table3, type Table3Result } from './table3.js';
export { table4, percentGain, type GainRow } from './table4.js';
export { figure2, channelStatistics, lastBatchNorm, type Figure2Result, type ShiftMatrices } from './figure2.js';
export { figure3, type Figure3Result } from './figure3.js';
export { figure4, type BatchSizeRow } from './figure4.js';
export { figure6, type PowerRow } from './figure6.js';
export { figure7, type EpsRow } from './figure7.js';
export { attackCheck, strongerPgd, CHECK_ROWS, type AttackCheckResult, type AttackCheckRow, type CheckCell, type CheckColumn, type CheckRowKey } from './attack-check.js';
export { attackCheckSection, attackCheckFindings, gapVerdict, oneImageVerdict, weightsVerdict } from './report-attack-check.js';
