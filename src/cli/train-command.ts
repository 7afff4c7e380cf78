/**
 * `robustnorm train`: trains a model on a dataset (training/run.ts does the
 * work), with a progress bar per epoch on stderr and each epoch's metrics as
 * a JSON line on stdout (and in OUT/metrics.jsonl), and a checkpoint at
 * OUT/checkpoint.safetensors (and per epoch with --save-every-epoch).
 * `--resume` continues from OUT/checkpoint.safetensors.
 */
import { adversarialTraining, type AdversarialTrainingOptions } from '../attacks/adversarial-training.js';
import type { Module } from '../nn/module.js';
import { trainingRun, type EpochRecord, type TrainingRunOptions } from '../training/run.js';
import { setStopAdvice, startProgress } from './progress-bar.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { resolvedSettings } from '../attacks/common.js';
import { epsToPixel } from '../attacks/units.js';

/** Throws, before any work, on a training attack no PGD accepts (its ε or step out of range). */
function checkTrainingAttack(options: TrainCommandOptions): void {
  if (options.adversarial !== 'pgd') return;
  const units = options.epsUnits ?? 'paper';
  const eps = epsToPixel(options.advEps ?? 0.03, units);
  try {
    resolvedSettings({ eps, epsIter: options.advEpsIter !== undefined ? epsToPixel(options.advEpsIter, units) : eps / 4, nbIter: options.advIter ?? 10 });
  } catch (error) {
    throw new Error(`--adv-eps ${options.advEps ?? 0.03}${options.advEpsIter !== undefined ? ` --adv-eps-iter ${options.advEpsIter}` : ''} (${units} units): ${(error as Error).message}`);
  }
}

/** The `train` command's settings: a training run's, and adversarial training's. */
export type TrainCommandOptions = Omit<TrainingRunOptions, 'perturbation'> & AdversarialTrainingOptions;

export function runTrain(options: TrainCommandOptions): { model: Module; history: EpochRecord[] } {
  checkTrainingAttack(options);
  const checkpoint = join(options.out, 'checkpoint.safetensors');
  if (options.resume && !existsSync(checkpoint)) {
    throw new Error(`--resume: there is no checkpoint to resume from (${checkpoint} does not exist); run without --resume to start a new run`);
  }
  setStopAdvice(() => {
    if (!existsSync(checkpoint)) return 'Nothing was saved yet: run the same command again to start.';
    return options.resume ? 'Run the same command again to resume.' : 'Run the same command again with --resume added to continue from its last saved epoch.';
  });
  const perturbation = adversarialTraining(options);
  return trainingRun({ ...options, ...(perturbation ? { perturbation } : {}) }, {
    startProgress,
    log: (message) => process.stderr.write(`${message}\n`),
    onEpoch: (record) => console.log(JSON.stringify(record)),
  });
}
