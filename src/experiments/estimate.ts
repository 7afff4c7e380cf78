/**
 * How long a reproduction will take, said before it starts: the run's planned
 * forward+backward passes (run-progress.ts), each norm's passes times the time
 * of one, measured here and now on a few training steps of the run's model
 * with that norm.
 *
 * Measured per norm because they can differ: on resnet8 a LayerNorm step took
 * ≈2× a BatchNorm one and a LayerNorm attack pass ≈2.5× (2026-12-06, before
 * LayerNorm's fused twin; with one BatchNorm time for every model the
 * fashion-mnist estimate ran low), a no-norm step ≈0.9×. The
 * progress bars' ETA, which follows the run as it goes, is the better guide
 * once it has started.
 */
import { reuseBuffers } from '../buffer-pool.js';
import { buildModel, modelConfig } from '../models/build.js';
import { crossEntropy } from '../ops/loss.js';
import { SGD } from '../optim/sgd.js';
import { Random } from '../random.js';
import { rand } from '../tensor/tensor.js';
import { estimatePassesByNorm, formatDuration, type PassNorm } from './run-progress.js';
import type { ExperimentNumber, ReproductionSettings } from './settings.js';

/** Seconds of one training step of each norm's model (see {@link measureStepSeconds}). */
export type StepSeconds = Record<PassNorm, number>;

const PASS_NORMS: readonly PassNorm[] = ['bn', 'rn', 'ln', 'none'];

/**
 * Seconds of one training step (forward, backward, SGD) of `settings.model`
 * with `norm` at the run's batch size: the fastest of the last three of five.
 * The first steps compile the kernels (on both threads) and warm up the JIT:
 * measured on resnet8, steps 2 and 3 still took 1.3–1.4 s against ≈0.95 s once
 * warm (before the kernels got faster; now ≈0.3 s, LayerNorm's ≈0.6 s).
 */
export function measureStepSeconds(settings: ReproductionSettings, norm: PassNorm = 'bn'): number {
  const random = new Random(settings.seed);
  const model = buildModel(modelConfig(settings.model, norm), settings.seed);
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

/** The step time of every norm the run uses (the others are not measured and read 0). */
export function measureRunStepSeconds(settings: ReproductionSettings, trainImages: number): StepSeconds {
  const passes = estimatePassesByNorm(settings, trainImages);
  const seconds: StepSeconds = { bn: 0, rn: 0, ln: 0, none: 0 };
  for (const norm of PASS_NORMS) if (passes[norm] > 0) seconds[norm] = measureStepSeconds(settings, norm);
  return seconds;
}

/**
 * The estimated wall time of the whole run, in seconds, from measured step
 * times (one for every model, or one per norm): every seed's experiments, or
 * where `left` is given (one list per seed), only the experiments each seed
 * has not finished yet (a resumed run). A finished experiment's models are
 * still counted where an unfinished one needs them, less the epochs their
 * checkpoints hold (`epochsDone`, one record per seed, by model key): a
 * finished model loads in seconds, a half-trained one trains what is left.
 */
export function estimateRunSeconds(settings: ReproductionSettings, trainImages: number, stepSeconds: number | StepSeconds, left?: ExperimentNumber[][], epochsDone?: ReadonlyArray<Readonly<Record<string, number>>>): number {
  const steps: StepSeconds = typeof stepSeconds === 'number' ? { bn: stepSeconds, rn: stepSeconds, ln: stepSeconds, none: stepSeconds } : stepSeconds;
  const perSeed = left ?? Array.from({ length: settings.seeds?.length ?? 1 }, () => settings.experiments);
  let seconds = 0;
  for (const [seed, experiments] of perSeed.entries()) {
    if (experiments.length === 0) continue;
    const passes = estimatePassesByNorm({ ...settings, experiments }, trainImages, epochsDone?.[seed]);
    // a training image is 1.5 passes (run-progress.ts), so a pass of one image takes stepSeconds / (1.5 · batch)
    for (const norm of PASS_NORMS) seconds += (passes[norm] * steps[norm]) / (1.5 * settings.batchSize);
  }
  return seconds;
}

/** The line printed before a run starts; `left`: each seed's unfinished experiments (see {@link estimateRunSeconds}). */
export function estimateLine(settings: ReproductionSettings, trainImages: number, left?: ExperimentNumber[][], epochsDone?: ReadonlyArray<Readonly<Record<string, number>>>): string {
  const seeds = settings.seeds?.length ?? 1;
  const finishedSeeds = left?.filter((experiments) => experiments.length === 0).length ?? 0;
  if (left !== undefined && finishedSeeds === left.length) return 'nothing left to compute: every experiment is in results.json already; the report is rewritten from it.';
  const stepSeconds = measureRunStepSeconds(settings, trainImages);
  const seconds = estimateRunSeconds(settings, trainImages, stepSeconds, left, epochsDone);
  const hours = seconds >= 3600 ? ` (${(seconds / 3600).toFixed(1)} hours)` : '';
  const resumed = left !== undefined && left.some((experiments) => experiments.length < settings.experiments.length)
    ? ` for what is left (${finishedSeeds > 0 ? `${finishedSeeds} of ${seeds} seeds finished, ` : ''}finished experiments and trained epochs not counted)`
    : seeds > 1 ? ` for ${seeds} seeds` : '';
  const measured = PASS_NORMS.filter((norm) => stepSeconds[norm] > 0).map((norm) => `${NORM_NAMES[norm]} ${stepSeconds[norm].toFixed(2)} s`).join(', ');
  return `estimated time: about ${formatDuration(seconds)}${hours}${resumed}, from ${settings.model} training steps measured here (batch ${settings.batchSize}: ${measured}); rough, the machine's speed drifts. ` +
    'Stop it at any time: the same command resumes from the last finished epoch, attack row or experiment.';
}

const NORM_NAMES: Record<PassNorm, string> = { bn: 'BatchNorm', rn: 'RobustNorm', ln: 'LayerNorm', none: 'no norm' };
