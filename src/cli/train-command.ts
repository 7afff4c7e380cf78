/**
 * `robustnorm train`: trains a model on a dataset, with a progress bar,
 * per-epoch metrics as JSON lines (stdout and OUT/metrics.jsonl), and a
 * checkpoint at OUT/checkpoint.safetensors (and per epoch with --save-every-epoch).
 * `--resume` continues from OUT/checkpoint.safetensors.
 */
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint, restoreMomentum, saveCheckpoint } from '../checkpoint/checkpoint.js';
import { limitDataset, loadDataset, type DatasetName } from '../data/datasets.js';
import { buildModel, modelConfig, type ModelConfig } from '../models/build.js';
import type { Module } from '../nn/module.js';
import { SGD } from '../optim/sgd.js';
import { multiStepLR } from '../optim/schedules.js';
import { evaluate, trainEpoch } from '../training/train.js';
import { getBackend } from '../kernels/backend.js';
import { startProgress } from './progress.js';
import { pgdTrainingPerturbation, type AdversarialTrainingSettings } from '../attacks/adversarial-training.js';
import { epsToPaper, epsToPixel, type EpsUnits } from '../attacks/units.js';
import { Random } from '../random.js';

/** The training attack in pixel units; see attacks/adversarial-training.ts for what it does and why. */
function adversarialSettings(options: TrainCommandOptions): Required<AdversarialTrainingSettings> {
  const units = options.epsUnits ?? 'paper';
  const eps = epsToPixel(options.advEps ?? 0.03, units);
  const epsIter = options.advEpsIter !== undefined ? epsToPixel(options.advEpsIter, units) : eps / 4;
  return { eps, epsIter, nbIter: options.advIter ?? 10 };
}

/** One generator per epoch, seeded from (seed, epoch), so a resumed run draws the same random starts. */
function epochPerturbation(options: TrainCommandOptions, epoch: number) {
  return pgdTrainingPerturbation(adversarialSettings(options), new Random(((options.seed + 1) * 7919 + epoch) >>> 0));
}

function adversarialDescription(options: TrainCommandOptions): string {
  if (!options.adversarial) return '';
  const { eps, epsIter, nbIter } = adversarialSettings(options);
  return ` on PGD examples (ε = ${epsToPaper(eps).toFixed(4)} paper units = ${eps.toFixed(4)} pixels, step ${epsIter.toFixed(4)} pixels, ${nbIter} steps, model in training mode)`;
}

export interface TrainCommandOptions {
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
  milestones: number[];
  gamma: number;
  seed: number;
  limit?: number;
  testLimit?: number;
  flip: boolean;
  out: string;
  saveEveryEpoch: boolean;
  resume: boolean;
  /** Train on PGD examples (Madry et al.) instead of clean images. */
  adversarial?: 'pgd';
  /** ε, step and iterations of the training attack, in `epsUnits` (defaults: the paper's 0.03, ε/4, 10, 'paper'). */
  advEps?: number;
  advEpsIter?: number;
  advIter?: number;
  epsUnits?: EpsUnits;
}

export interface EpochRecord {
  epoch: number;
  lr: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  seconds: number;
  imagesPerSecond: number;
}

export function runTrain(options: TrainCommandOptions): { model: Module; history: EpochRecord[] } {
  const data = loadDataset(options.dataset, options.dataDir ? { dataDir: options.dataDir } : {});
  const train = limitDataset(data.train, options.limit);
  const test = limitDataset(data.test, options.testLimit);
  mkdirSync(options.out, { recursive: true });
  const checkpointFile = join(options.out, 'checkpoint.safetensors');
  const metricsFile = join(options.out, 'metrics.jsonl');

  let model: Module;
  let config: ModelConfig = modelConfig(options.model, options.norm, options.power);
  let history: EpochRecord[] = [];
  let momentum = new Map();
  if (options.resume && existsSync(checkpointFile)) {
    const loaded = loadCheckpoint(checkpointFile);
    if (loaded.metadata.model.architecture !== config.architecture || loaded.metadata.model.norm.kind !== config.norm.kind) {
      throw new Error(`--resume: ${checkpointFile} holds a ${loaded.metadata.model.architecture} with ${loaded.metadata.model.norm.kind}, not the ${config.architecture} with ${config.norm.kind} asked for`);
    }
    model = loaded.model;
    config = loaded.metadata.model;
    history = (loaded.metadata.training.history as EpochRecord[] | undefined) ?? [];
    momentum = loaded.momentum;
    process.stderr.write(`resuming from ${checkpointFile} after epoch ${history.length}\n`);
  } else {
    model = buildModel(config, options.seed);
  }
  const optimizer = new SGD(model.parameters(), { lr: options.lr, momentum: options.momentum, weightDecay: options.weightDecay, nesterov: options.nesterov });
  restoreMomentum(optimizer, model, momentum);
  const schedule = multiStepLR(options.lr, options.milestones, options.gamma);
  const adversarialNote = adversarialDescription(options);
  process.stderr.write(`training ${config.architecture} (${config.norm.kind}) on ${train.count} ${options.dataset} images${adversarialNote}, testing on ${test.count}, backend ${getBackend().name}\n`);

  for (let epoch = history.length; epoch < options.epochs; epoch++) {
    optimizer.lr = schedule(epoch);
    const bar = startProgress(`epoch ${epoch + 1}/${options.epochs}`, Math.ceil(train.count / options.batchSize));
    const result = trainEpoch(model, optimizer, train, {
      batchSize: options.batchSize, seed: options.seed, epoch, flip: options.flip,
      ...(options.adversarial === 'pgd' ? { perturb: epochPerturbation(options, epoch) } : {}),
      onBatch: (p) => bar.update(p.batch, { unit: 'batches', status: `loss ${p.loss.toFixed(4)} | acc ${(100 * p.accuracy).toFixed(1)}% | lr ${optimizer.lr} | ${p.imagesPerSecond.toFixed(0)} img/s` }),
    });
    bar.stop();
    const testAccuracy = evaluate(model, test, { batchSize: options.batchSize });
    const record: EpochRecord = {
      epoch: epoch + 1, lr: optimizer.lr, trainLoss: result.loss, trainAccuracy: result.accuracy, testAccuracy,
      seconds: result.seconds, imagesPerSecond: train.count / result.seconds,
    };
    history.push(record);
    const line = JSON.stringify(record);
    console.log(line);
    appendFileSync(metricsFile, `${line}\n`);
    const metadata = {
      model: config, seed: options.seed,
      training: { dataset: options.dataset, trainCount: train.count, testCount: test.count, epochsDone: epoch + 1, settings: options, history, backend: getBackend().name },
    };
    saveCheckpoint(checkpointFile, model, metadata, optimizer);
    if (options.saveEveryEpoch) saveCheckpoint(join(options.out, `epoch-${epoch + 1}.safetensors`), model, metadata, optimizer);
  }
  return { model, history };
}
