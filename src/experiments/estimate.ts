/**
 * How long a reproduction will take, said before it starts: the run's planned
 * forward+backward passes (run-progress.ts) times the time of one, measured here
 * and now on a few training steps of the run's model with BatchNorm.
 *
 * Rough by design: RobustNorm's steps are slower than BatchNorm's (≈1.5× in
 * an attack), and the machine's speed drifts. The progress bars' ETA, which
 * follows the run as it goes, is the better guide once it has started.
 */
import { reuseBuffers } from '../buffer-pool.js';
import { buildModel, modelConfig } from '../models/build.js';
import { crossEntropy } from '../ops/loss.js';
import { SGD } from '../optim/sgd.js';
import { Random } from '../random.js';
import { rand } from '../tensor/tensor.js';
import { estimatePasses, formatDuration } from './run-progress.js';
import type { ExperimentNumber, ReproductionSettings } from './settings.js';

/**
 * Seconds of one training step (forward, backward, SGD) of `settings.model` at
 * the run's batch size: the fastest of the last three of five. The first steps
 * compile the kernels (on both threads) and warm up the JIT: measured on
 * resnet8, steps 2 and 3 still took 1.3–1.4 s against ≈0.95 s once warm (before the kernels got faster; now ≈0.35–0.45 s).
 */
export function measureStepSeconds(settings: ReproductionSettings): number {
  const random = new Random(settings.seed);
  const model = buildModel(modelConfig(settings.model, 'bn'), settings.seed);
  const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: settings.momentum, weightDecay: settings.weightDecay });
  const images = rand([settings.batchSize, 1, 28, 28], { random });
  const labels = Uint8Array.from({ length: settings.batchSize }, (_, i) => i % 10);
  const times: number[] = [];
  for (let step = 0; step < 5; step++) {
    const start = performance.now();
    reuseBuffers(() => {
      model.train();
      const loss = crossEntropy(model.forward(images), labels);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
    });
    times.push((performance.now() - start) / 1000);
  }
  return Math.min(...times.slice(2));
}

/**
 * The estimated wall time of the whole run, in seconds, from a measured step
 * time: every seed's experiments, or where `left` is given (one list per
 * seed), only the experiments each seed has not finished yet (a resumed run).
 * A finished experiment's models are still counted where an unfinished one
 * needs them, though they load from their checkpoints in seconds.
 */
export function estimateRunSeconds(settings: ReproductionSettings, trainImages: number, stepSeconds: number, left?: ExperimentNumber[][]): number {
  // a training image is 1.5 passes (run-progress.ts), so a pass of one image takes stepSeconds / (1.5 · batch)
  const secondsPerPass = stepSeconds / (1.5 * settings.batchSize);
  const perSeed = left ?? Array.from({ length: settings.seeds?.length ?? 1 }, () => settings.experiments);
  const passes = perSeed.reduce((sum, experiments) => sum + (experiments.length === 0 ? 0 : estimatePasses({ ...settings, experiments }, trainImages)), 0);
  return passes * secondsPerPass;
}

/** The line printed before a run starts; `left`: each seed's unfinished experiments (see {@link estimateRunSeconds}). */
export function estimateLine(settings: ReproductionSettings, trainImages: number, left?: ExperimentNumber[][]): string {
  const seeds = settings.seeds?.length ?? 1;
  const finishedSeeds = left?.filter((experiments) => experiments.length === 0).length ?? 0;
  if (left !== undefined && finishedSeeds === left.length) return 'nothing left to compute: every experiment is in results.json already; the report is rewritten from it.';
  const stepSeconds = measureStepSeconds(settings);
  const seconds = estimateRunSeconds(settings, trainImages, stepSeconds, left);
  const hours = seconds >= 3600 ? ` (${(seconds / 3600).toFixed(1)} hours)` : '';
  const resumed = left !== undefined && left.some((experiments) => experiments.length < settings.experiments.length)
    ? ` for what is left (${finishedSeeds > 0 ? `${finishedSeeds} of ${seeds} seeds finished, ` : ''}finished experiments not counted)`
    : seeds > 1 ? ` for ${seeds} seeds` : '';
  return `estimated time: about ${formatDuration(seconds)}${hours}${resumed}, from a ${settings.model} training step measured here at ${stepSeconds.toFixed(2)} s (batch ${settings.batchSize}); rough, RobustNorm runs slower than BatchNorm. ` +
    'Stop it at any time: the same command resumes from the last finished epoch, attack row or experiment.';
}
