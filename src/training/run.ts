/**
 * A whole training run: epochs of SGD with a step schedule, a test accuracy
 * after each epoch, per-epoch metrics as JSON lines (OUT/metrics.jsonl), and a
 * checkpoint (OUT/checkpoint.safetensors, and per epoch with `saveEveryEpoch`)
 * holding the weights, the momentum and the history. `resume` continues from
 * the checkpoint; as each epoch's randomness comes from (seed, epoch)
 * (train.ts), a resumed run is bit-identical to an uninterrupted one.
 *
 * What the run reports goes through `reporting` (a progress bar per epoch, a
 * line of text, the metrics line), so this module prints nothing itself: the
 * command line (cli/train-command.ts) and the experiments
 * (experiments/trained-models.ts) each say where it goes.
 */
import { appendFileSync, existsSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { restoreMomentum } from '../checkpoint/checkpoint.js';
import { loadCheckpoint, saveCheckpoint } from '../checkpoint/checkpoint-file.js';
import { limitDataset, loadDataset, type DatasetName } from '../data/datasets.js';
import { getBackend } from '../kernels/backend.js';
import { buildModel, modelConfig, type ModelConfig } from '../models/build.js';
import type { Module } from '../nn/module.js';
import { SGD } from '../optim/sgd.js';
import { multiStepLR } from '../optim/schedules.js';
import { noProgress, type StartProgress } from './progress.js';
import { checkFreshFolder, lockFolder, settingMismatches } from './run-folder.js';
import { writeFileAtomic } from '../checkpoint/atomic-write.js';
import { evaluate, trainEpoch, type EpochOptions } from './train.js';

/**
 * Replaces each training batch by the images to train on, one generator per
 * epoch (adversarial training; see attacks/adversarial-training.ts).
 */
export interface TrainingPerturbation {
  /** What it does, for the run's first line. */
  description: string;
  /** The perturbation for epoch `epoch` (0-based). */
  forEpoch(epoch: number): NonNullable<EpochOptions['perturb']>;
}

/** The settings of a training run (the command line's `train` flags). */
export interface TrainingRunOptions {
  dataset: DatasetName;
  dataDir?: string;
  model: string;
  norm: string;
  power: number;
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
  /** Epochs after which the learning rate is multiplied by `gamma`. */
  milestones: number[];
  gamma: number;
  seed: number;
  /** Train on the first `limit` training images only. */
  limit?: number;
  /** Test on the first `testLimit` test images only. */
  testLimit?: number;
  /** Random horizontal flips, as the paper's code did. */
  flip: boolean;
  /** The run's folder: checkpoint and metrics. */
  out: string;
  saveEveryEpoch: boolean;
  /** Continue the run in `out` (which must have been trained with the same settings, but for `epochs`). */
  resume: boolean;
  /** Start over in a folder that holds a run, or resume one with other settings. */
  force?: boolean;
  /** Train on perturbed batches instead of clean ones. */
  perturbation?: TrainingPerturbation;
}

/** One epoch's line in metrics.jsonl and in the checkpoint's history. */
export interface EpochRecord {
  epoch: number;
  lr: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  seconds: number;
  imagesPerSecond: number;
  /** Which run trained this epoch (a resumed training is a new run). */
  run?: string;
}

/** Where a run's reports go (each defaults to nowhere). */
export interface TrainingReporting {
  /** A progress display per epoch. */
  startProgress?: StartProgress;
  /** A line of text about the run (what is trained, a resume). */
  log?: (message: string) => void;
  /** Each epoch's record, as soon as it is known. */
  onEpoch?: (record: EpochRecord) => void;
}

/**
 * Runs (or resumes) the training `options` describe; returns the model and
 * every epoch's record. The folder is locked while it runs (a second run into
 * it is refused); a folder holding a run needs `resume` or `force`; a resumed
 * run must have its checkpoint's settings (`force` overrides).
 */
export function trainingRun(options: TrainingRunOptions, reporting: TrainingReporting = {}): { model: Module; history: EpochRecord[] } {
  const release = lockFolder(options.out);
  try {
    return trainLocked(options, reporting);
  } finally {
    release();
  }
}

function trainLocked(options: TrainingRunOptions, reporting: TrainingReporting): { model: Module; history: EpochRecord[] } {
  const startProgress = reporting.startProgress ?? noProgress;
  const log = reporting.log ?? (() => undefined);
  checkFreshFolder(options.out, options);
  const data = loadDataset(options.dataset, options.dataDir ? { dataDir: options.dataDir } : {});
  const train = limitDataset(data.train, options.limit);
  const test = limitDataset(data.test, options.testLimit);
  if (train.count === 0 || test.count === 0) throw new Error(`${options.dataset}: no ${train.count === 0 ? 'training' : 'test'} images to use`);
  const checkpointFile = join(options.out, 'checkpoint.safetensors');
  const metricsFile = join(options.out, 'metrics.jsonl');
  const { perturbation, force, ...settings } = options;
  const recordedSettings = { ...settings, ...(perturbation ? { perturbation: perturbation.description } : {}) };
  const run = `${new Date().toISOString()} pid ${process.pid}`;

  let model: Module;
  let config: ModelConfig = modelConfig(options.model, options.norm, options.power);
  let history: EpochRecord[] = [];
  let momentum = new Map();
  if (options.resume && !existsSync(checkpointFile) && existsSync(metricsFile) && statSync(metricsFile).size > 0) {
    // starting over would replace the metrics of epochs whose checkpoint is gone
    throw new Error(`--resume: ${checkpointFile} is missing, so there is nothing to resume from, and starting over would replace ${metricsFile}; restore the checkpoint, or pass --force without --resume to start over`);
  }
  if (options.resume && existsSync(checkpointFile)) {
    const loaded = loadCheckpoint(checkpointFile);
    if (loaded.metadata.model.architecture !== config.architecture || loaded.metadata.model.norm.kind !== config.norm.kind) {
      throw new Error(`--resume: ${checkpointFile} holds a ${loaded.metadata.model.architecture} with ${loaded.metadata.model.norm.kind}, not the ${config.architecture} with ${config.norm.kind} asked for`);
    }
    const saved = (loaded.metadata.training.settings ?? {}) as Record<string, unknown>;
    const mismatches = settingMismatches(saved, recordedSettings);
    if (mismatches.length > 0 && force !== true) {
      throw new Error(`--resume: ${checkpointFile} was trained with other settings: ${mismatches.join('; ')}. Resume with the same settings, or pass --force to continue with these`);
    }
    model = loaded.model;
    config = loaded.metadata.model;
    history = (loaded.metadata.training.history as EpochRecord[] | undefined) ?? [];
    momentum = loaded.momentum;
    if (history.length >= options.epochs) {
      log(`nothing to do: ${checkpointFile} already has ${history.length} epoch(s), and ${options.epochs} were asked for`);
      return { model, history };
    }
    log(`resuming from ${checkpointFile} after epoch ${history.length}${mismatches.length > 0 ? ` (forced, with ${mismatches.join('; ')})` : ''}`);
  } else {
    model = buildModel(config, options.seed);
  }
  // metrics.jsonl says what the checkpoint holds: its epochs, then this run's (a fresh run
  // writes it with its first epoch, so a run that fails before then leaves none)
  if (history.length > 0) writeFileAtomic(metricsFile, history.map((record) => `${JSON.stringify(record)}\n`).join(''));
  else if (existsSync(metricsFile)) unlinkSync(metricsFile);
  const optimizer = new SGD(model.parameters(), { lr: options.lr, momentum: options.momentum, weightDecay: options.weightDecay, nesterov: options.nesterov });
  restoreMomentum(optimizer, model, momentum);
  const schedule = multiStepLR(options.lr, options.milestones, options.gamma);
  const perturbationNote = perturbation ? ` ${perturbation.description}` : '';
  log(`training ${config.architecture} (${config.norm.kind}) on ${train.count} ${options.dataset} images from ${train.source}${perturbationNote}, testing on ${test.count}, backend ${getBackend().name}`);

  for (let epoch = history.length; epoch < options.epochs; epoch++) {
    optimizer.lr = schedule(epoch);
    const bar = startProgress(`epoch ${epoch + 1}/${options.epochs}`, Math.ceil(train.count / options.batchSize));
    const result = trainEpoch(model, optimizer, train, {
      batchSize: options.batchSize, seed: options.seed, epoch, flip: options.flip,
      ...(perturbation ? { perturb: perturbation.forEpoch(epoch) } : {}),
      onBatch: (p) => bar.update(p.batch, { unit: 'batches', status: `loss ${p.loss.toFixed(4)} | acc ${(100 * p.accuracy).toFixed(1)}% | lr ${optimizer.lr} | ${p.imagesPerSecond.toFixed(0)} img/s` }),
    });
    bar.stop();
    const testAccuracy = evaluate(model, test, { batchSize: options.batchSize });
    const record: EpochRecord = {
      epoch: epoch + 1, lr: optimizer.lr, trainLoss: result.loss, trainAccuracy: result.accuracy, testAccuracy,
      seconds: result.seconds, imagesPerSecond: train.count / result.seconds, run,
    };
    history.push(record);
    reporting.onEpoch?.(record);
    const metadata = {
      model: config, seed: options.seed,
      training: {
        dataset: options.dataset, trainCount: train.count, testCount: test.count, epochsDone: epoch + 1,
        settings: recordedSettings, history, backend: getBackend().name,
      },
    };
    saveCheckpoint(checkpointFile, model, metadata, optimizer);
    // after the checkpoint: a run stopped between the two resumes from the checkpoint, which rewrites metrics.jsonl
    appendFileSync(metricsFile, `${JSON.stringify(record)}\n`);
    if (options.saveEveryEpoch) saveCheckpoint(join(options.out, `epoch-${epoch + 1}.safetensors`), model, metadata, optimizer);
  }
  return { model, history };
}
