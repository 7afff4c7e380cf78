/**
 * What every experiment works with: the settings, the test images, the shared
 * models, and `robustness()`, which classifies and attacks a set of images with
 * one model in one statistics mode (memoized, since several experiments ask
 * for the same row).
 */
import { evaluateRobustness } from '../attacks/evaluate.js';
import type { AttackConfig, AttackName } from '../attacks/registry.js';
import { epsToPixel, PAPER_INPUT_STD } from '../attacks/units.js';
import type { Dataset } from '../data/datasets.js';
import type { NormStatistics } from '../nn/norm-statistics.js';
import type { ModelSpec, ModelStore } from './models.js';
import { evaluationPasses, type RunProgress } from './progress.js';
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
  const eps = epsToPixel(epsPaper, 'paper');
  return {
    eps, epsIter: eps / 10, nbIter: 20,
    cw: { initialConst: settings.cwConst, learningRate: epsPaper / 10, binarySearchSteps: 3, maxIterations: 10, distanceUnit: PAPER_INPUT_STD },
  };
}

/** Creates the context that caches robustness measurements across experiments. */
export function createContext(settings: ReproductionSettings, test: Dataset, sweepTest: Dataset, models: ModelStore, progress: RunProgress): ExperimentContext {
  const memo = new Map<string, AccuracyRow>();
  const context: ExperimentContext = {
    settings, test, sweepTest, models, progress,
    robustness(spec, statistics, request = {}) {
      const eps = request.eps ?? settings.eps;
      const attacks = request.attacks ?? settings.attacks;
      const data = request.data ?? test;
      const batchSize = request.batchSize ?? settings.batchSize;
      const key = JSON.stringify([spec.key, statistics, eps, attacks, data.count, batchSize]);
      const known = memo.get(key);
      if (known !== undefined) return known;
      const { model } = models.get(spec);
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
      memo.set(key, row);
      return row;
    },
  };
  return context;
}
