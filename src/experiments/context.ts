/**
 * What every experiment works with: the settings, the test images, the shared
 * models, and `robustness()`, which classifies and attacks a set of images with
 * one model in one statistics mode (memoized, since several experiments ask
 * for the same row).
 */
import { evaluateRobustness } from '../attacks/evaluate.js';
import { paperAttackSettings, type AttackConfig, type AttackName } from '../attacks/registry.js';
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../checkpoint/atomic-write.js';
import { limitDataset, type Dataset } from '../data/datasets.js';
import type { NormStatistics } from '../nn/norm-statistics.js';
import type { ModelSpec, ModelStore } from './trained-models.js';
import { evaluationPasses, type RunProgress } from './run-progress.js';
import type { ReproductionSettings } from './settings.js';

/** One model in one statistics mode: clean accuracy and accuracy under each attack (fractions in [0, 1]). */
export interface AccuracyRow {
  model: string;
  label: string;
  statistics: NormStatistics;
  /** ε of the attacks, paper units. */
  eps: number;
  images: number;
  batchSize: number;
  clean: number;
  attacks: Partial<Record<AttackName, number>>;
  /** Attack time per 1,000 images. */
  secondsPer1000: Partial<Record<AttackName, number>>;
  /**
   * Set on rows merged over several seeds (seeds.ts): the number of seeds, and
   * the sample standard deviation over seeds of each accuracy. `clean` and
   * `attacks` are then means over seeds and `images` counts the images of
   * every seed together.
   */
  seeds?: number;
  spread?: { clean: number; attacks: Partial<Record<AttackName, number>> };
}

/** One model in one statistics mode under the strong Carlini–Wagner attack (settings.strongCw). */
export interface StrongCwRow {
  model: string;
  label: string;
  statistics: NormStatistics;
  images: number;
  clean: number;
  accuracy: number;
  /** Mean over images of ‖x_adv − x‖₂, pixel units (0 where the attack found nothing). */
  meanL2: number;
  secondsPer1000: number;
  /** Merged over seeds (seeds.ts): their number and standard deviations over seeds. */
  seeds?: number;
  spread?: { clean: number; accuracy: number; meanL2: number };
}

/** What every experiment gets: settings, test images, the trained models and cached robustness measurements. */
export interface ExperimentContext {
  settings: ReproductionSettings;
  /** The images of the tables (settings.testLimit of the test set). */
  test: Dataset;
  /** The images of the sweeps (settings.sweepLimit). */
  sweepTest: Dataset;
  models: ModelStore;
  progress: RunProgress;
  /** Clean and adversarial accuracy of a model in a statistics mode (computed once per distinct request). */
  robustness(spec: ModelSpec, statistics: NormStatistics, options?: RobustnessRequest): AccuracyRow;
  /** The strong Carlini–Wagner row of a model in a statistics mode, or null when settings.strongCw is unset. */
  strongCw(spec: ModelSpec, statistics: NormStatistics): StrongCwRow | null;
  /**
   * `compute()`'s JSON result, computed once per `key` and kept with the rows
   * (OUT/rows.json), so a stopped run resumes after it: for an experiment's
   * parts that are not accuracy rows (the attack check's groups of cells).
   */
  cached<T>(key: string, compute: () => T): T;
}

/** Overrides of a robustness measurement: ε (paper units), attacks, images, inference batch size. */
export interface RobustnessRequest {
  eps?: number;
  attacks?: readonly AttackName[];
  data?: Dataset;
  batchSize?: number;
}

/**
 * The attack settings of the paper's code for ε in its units: step ε/10, 20
 * iterations; CW with c = settings.cwConst, Adam's rate ε/10 (the paper's
 * `learning_rate=eps/10` in tanh space, a unitless quantity) and distances in
 * the paper's normalized units.
 */
export function paperAttackConfig(settings: ReproductionSettings, epsPaper: number): AttackConfig {
  return paperAttackSettings(epsPaper, settings.cwConst);
}

/**
 * The rows measured so far, kept in `file` (OUT/rows.json) as each is
 * finished, so that a stopped run resumes from its last finished row, not
 * from the start of an experiment. Rows of other settings are not reused.
 */
function rowStore(file: string | undefined, settings: ReproductionSettings) {
  const rows = new Map<string, unknown>();
  const stamp = JSON.stringify(settings);
  if (file !== undefined && existsSync(file)) {
    let saved: { settings: string; rows: Array<[string, unknown]> };
    try {
      saved = JSON.parse(readFileSync(file, 'utf8')) as typeof saved;
    } catch (error) {
      throw new Error(`${file} is not readable JSON (${(error as Error).message}); delete it to recompute its rows`);
    }
    if (typeof saved !== 'object' || saved === null || !Array.isArray(saved.rows) || !saved.rows.every((entry) => Array.isArray(entry) && typeof entry[0] === 'string')) {
      throw new Error(`${file} is not a reproduction's rows.json (no "rows" list of [key, row] pairs); delete it to recompute its rows`);
    }
    if (saved.settings === stamp) for (const [key, row] of saved.rows) rows.set(key, row);
  }
  return {
    get: (key: string) => rows.get(key),
    set(key: string, row: unknown): void {
      rows.set(key, row);
      if (file === undefined) return;
      writeFileAtomic(file, JSON.stringify({ settings: stamp, rows: [...rows] }));
    },
  };
}

/** Creates the context that caches robustness measurements across experiments (and, given `rowsFile`, across runs). */
export function createContext(settings: ReproductionSettings, test: Dataset, sweepTest: Dataset, models: ModelStore, progress: RunProgress, rowsFile?: string): ExperimentContext {
  const store = rowStore(rowsFile, settings);
  const context: ExperimentContext = {
    settings, test, sweepTest, models, progress,
    robustness(spec, statistics, request = {}) {
      const eps = request.eps ?? settings.eps;
      const attacks = request.attacks ?? settings.attacks;
      const data = request.data ?? test;
      const batchSize = request.batchSize ?? settings.batchSize;
      const key = JSON.stringify([spec.key, statistics, eps, attacks, data.count, batchSize]);
      // the model first, even for a saved row: loading a finished one is quick, and it puts the model in the report
      const { model } = models.get(spec);
      const known = store.get(key) as AccuracyRow | undefined;
      if (known !== undefined) return known;
      const steps = Math.ceil(data.count / batchSize) * (attacks.length + 1);
      const stage = progress.stage(`attack ${spec.label} (${statistics}, ε ${eps}, batch ${batchSize})`, steps, evaluationPasses(data.count, attacks) / steps);
      let ticks = 0;
      const result = evaluateRobustness(model, data, {
        ...paperAttackConfig(settings, eps), attacks, statistics, batchSize, seed: settings.seed,
        onBatch: () => stage.tick(++ticks),
      });
      stage.end();
      const row: AccuracyRow = {
        model: spec.key, label: spec.label, statistics, eps, images: result.images, batchSize, clean: result.cleanAccuracy,
        attacks: Object.fromEntries(result.attacks.map((attack) => [attack.attack, attack.accuracy])),
        secondsPer1000: Object.fromEntries(result.attacks.map((attack) => [attack.attack, attack.secondsPer1000])),
      };
      store.set(key, row);
      return row;
    },
    strongCw(spec, statistics) {
      const strong = settings.strongCw;
      if (strong === undefined) return null;
      const key = JSON.stringify(['strong-cw', spec.key, statistics]);
      const { model } = models.get(spec);
      const known = store.get(key) as StrongCwRow | undefined;
      if (known !== undefined) return known;
      const data = limitDataset(test, strong.images);
      const batches = Math.ceil(data.count / settings.batchSize);
      const stage = progress.stage(`strong CW ${spec.label} (${statistics})`, batches, (data.count * (strong.binarySearchSteps * strong.maxIterations + 1)) / batches);
      let ticks = 0;
      const paper = paperAttackConfig(settings, settings.eps);
      const result = evaluateRobustness(model, data, {
        ...paper, cw: { ...paper.cw, learningRate: strong.learningRate, binarySearchSteps: strong.binarySearchSteps, maxIterations: strong.maxIterations },
        attacks: ['cw'], statistics, batchSize: settings.batchSize, seed: settings.seed,
        onBatch: (_done, _total, attack) => { if (attack !== 'clean') stage.tick(++ticks); },
      });
      stage.end();
      const cw = result.attacks[0] as (typeof result.attacks)[number];
      const row: StrongCwRow = {
        model: spec.key, label: spec.label, statistics, images: result.images, clean: result.cleanAccuracy,
        accuracy: cw.accuracy, meanL2: cw.meanL2, secondsPer1000: cw.secondsPer1000,
      };
      store.set(key, row);
      return row;
    },
    cached<T>(key: string, compute: () => T): T {
      const storeKey = JSON.stringify(['cached', key]);
      const known = store.get(storeKey);
      if (known !== undefined) return known as T;
      const value = compute();
      store.set(storeKey, value);
      return value;
    },
  };
  return context;
}
