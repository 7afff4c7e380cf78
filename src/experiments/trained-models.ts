/**
 * The models a reproduction trains, each trained once and shared by every
 * experiment that needs it. They are trained by the `train` command's code
 * (cli/train-command.ts) into OUT/models/<key>/, so an interrupted run resumes
 * where it stopped: a finished model is loaded, a half-trained one continues
 * from its last epoch.
 */
import { join } from 'node:path';
import { adversarialTraining } from '../attacks/adversarial-training.js';
import { trainingRun, type EpochRecord, type TrainingReporting } from '../training/run.js';
import type { Module } from '../nn/module.js';
import type { NormKind } from '../nn/norm-factory.js';
import type { NormStatistics } from '../nn/norm-statistics.js';
import type { ReproductionSettings } from './settings.js';

/** Which model to train: its norm, power, learning rate, and whether adversarially. */
export interface ModelSpec {
  /** Names the model in file names and results: `bn`, `rn`, `rn-p0.5`, `ln`, `none`, `bn-pgd`. */
  key: string;
  /** How the report names it: `BatchNorm`, `RobustNorm (p = 0.5)`… */
  label: string;
  norm: NormKind;
  power: number;
  lr: number;
  adversarial: boolean;
}

/** A trained model with its spec and training history. */
export interface TrainedModel {
  spec: ModelSpec;
  model: Module;
  history: EpochRecord[];
  /** Wall time of one training step (one batch), averaged over the epochs trained in this run or earlier. */
  secondsPerStep: number;
}

const NORM_LABELS: Record<NormKind, string> = { bn: 'BatchNorm', rn: 'RobustNorm', ln: 'LayerNorm', none: 'No norm' };

/** The spec of a model with `norm`, at the paper's settings for it. */
export function modelSpec(settings: ReproductionSettings, norm: NormKind, options: { power?: number; adversarial?: boolean } = {}): ModelSpec {
  const power = options.power ?? 0.2;
  const adversarial = options.adversarial ?? false;
  const powerNote = norm === 'rn' && power !== 0.2;
  return {
    key: `${norm}${powerNote ? `-p${power}` : ''}${adversarial ? '-pgd' : ''}`,
    label: `${NORM_LABELS[norm]}${powerNote ? ` (p = ${power})` : ''}${adversarial ? ', PGD-trained' : ''}`,
    norm,
    power,
    lr: norm === 'none' ? settings.noNormLr : settings.lr,
    adversarial,
  };
}

/** Trains (or loads) models on demand, once each. */
export class ModelStore {
  private readonly trained = new Map<string, TrainedModel>();

  constructor(
    private readonly settings: ReproductionSettings,
    private readonly directory: string,
    /** Where each training run's progress and lines go (see training/run.ts). */
    private readonly reporting: Omit<TrainingReporting, 'onEpoch'> = {},
    private readonly onTrained: (model: TrainedModel) => void = () => undefined,
  ) {}

  /** The model `spec` describes, trained (or resumed from its checkpoint) the first time it is asked for. */
  get(spec: ModelSpec): TrainedModel {
    const known = this.trained.get(spec.key);
    if (known !== undefined) return known;
    const settings = this.settings;
    const perturbation = adversarialTraining({
      ...(spec.adversarial ? { adversarial: 'pgd' as const } : {}), advEps: settings.advEps, advIter: settings.advIter, epsUnits: 'paper', seed: settings.seed,
    });
    const log = this.reporting.log;
    const { model, history } = trainingRun({
      dataset: settings.dataset, ...(settings.dataDir !== undefined ? { dataDir: settings.dataDir } : {}),
      model: settings.model, norm: spec.norm, power: spec.power, epochs: settings.epochs, batchSize: settings.batchSize,
      lr: spec.lr, momentum: settings.momentum, weightDecay: settings.weightDecay, nesterov: false,
      milestones: settings.milestones, gamma: settings.gamma, seed: settings.seed,
      ...(settings.trainLimit !== undefined ? { limit: settings.trainLimit } : {}), testLimit: settings.testLimit,
      flip: settings.flip, out: join(this.directory, spec.key), saveEveryEpoch: false, resume: true,
      ...(perturbation ? { perturbation } : {}),
    }, { ...this.reporting, ...(log ? { onEpoch: (record: EpochRecord) => log(JSON.stringify(record)) } : {}) });
    // The training set's size is what the epoch record implies: images/s × seconds.
    const first = history[0];
    const trainImages = first ? Math.round(first.imagesPerSecond * first.seconds) : 0;
    const steps = Math.max(1, Math.ceil(trainImages / settings.batchSize) * history.length);
    const seconds = history.reduce((total, epoch) => total + epoch.seconds, 0);
    const result: TrainedModel = { spec, model, history, secondsPerStep: seconds / steps };
    this.trained.set(spec.key, result);
    this.onTrained(result);
    return result;
  }
}

/** A model with the inference statistics it is evaluated with, and its name in figures. */
export interface EvaluatedModel {
  spec: ModelSpec;
  statistics: NormStatistics;
  label: string;
}

/**
 * The three lines of the paper's Figures 4 and 7: BatchNorm (with the
 * statistics the figure uses), RobustNorm (batch mean and range) and
 * RobustNorm with the population mean.
 */
export function batchNormVsRobustNorm(settings: ReproductionSettings, batchNorm: { statistics: NormStatistics; label: string }): EvaluatedModel[] {
  const robustNorm = modelSpec(settings, 'rn');
  return [
    { spec: modelSpec(settings, 'bn'), ...batchNorm },
    { spec: robustNorm, statistics: 'batch', label: 'RN' },
    { spec: robustNorm, statistics: 'population-mean', label: 'RN w/ μ̂_P' },
  ];
}
