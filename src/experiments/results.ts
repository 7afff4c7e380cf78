/**
 * Everything a reproduction computed, as written to results.json. The report
 * (report.ts) and the figures (report-figures.ts) are rendered from this alone, so a
 * results file can be re-rendered without re-running anything.
 */
import type { AttackCheckResult } from './attack-check.js';
import type { Figure2Result } from './figure2.js';
import type { Figure3Result } from './figure3.js';
import type { BatchSizeRow } from './figure4.js';
import type { PowerRow } from './figure6.js';
import type { EpsRow } from './figure7.js';
import type { ReproductionSettings } from './settings.js';
import type { Table1Result } from './table1.js';
import type { Table3Result } from './table3.js';
import type { GainRow } from './table4.js';

/** One trained model as results.json records it. */
export interface ModelRecord {
  key: string;
  label: string;
  epochs: number;
  /** Test accuracy after the last epoch (fraction), on the run's test images. */
  testAccuracy: number;
  trainLoss: number;
  trainSeconds: number;
  secondsPerStep: number;
  /** Merged over seeds (seeds.ts): their number and the standard deviation of the test accuracy over them. */
  seeds?: number;
  testAccuracySpread?: number;
}

/** How, when and where a reproduction ran. */
export interface RunMetadata {
  preset: string;
  command: string;
  /** When the first run that wrote this folder started. */
  startedAt: string;
  /** Seconds of computing, summed over every run that wrote this folder (an interrupted run's unsaved work is not counted). */
  wallSeconds: number;
  /** How many runs wrote this folder, where more than one (the run was resumed); over seeds, the sum. */
  runs?: number;
  seed: number;
  /** Results merged over several seeds (seeds.ts): the seeds; `seed` is then the first. */
  seeds?: number[];
  backend: string;
  versions: { robustnorm: string; node: string; gpujs: string };
  dataset: { name: string; trainImages: number; testImages: number; sweepImages: number };
  model: string;
  epochs: number;
  models: ModelRecord[];
}

/** Everything results.json holds: metadata, settings and each experiment that ran. */
export interface ReproductionResults {
  metadata: RunMetadata;
  settings: ReproductionSettings;
  table1?: Table1Result;
  table3?: Table3Result;
  figure3?: Figure3Result;
  figure2?: Figure2Result;
  figure4?: { rows: BatchSizeRow[] };
  figure6?: { rows: PowerRow[] };
  figure7?: { rows: EpsRow[] };
  table4?: { rows: GainRow[] };
  attackCheck?: AttackCheckResult;
}
