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
import type { ReproductionSettings } from './settings.js';

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

/** The estimated wall time of the whole run (every seed), in seconds, from a measured step time. */
export function estimateRunSeconds(settings: ReproductionSettings, trainImages: number, stepSeconds: number): number {
  // a training image is 1.5 passes (run-progress.ts), so a pass of one image takes stepSeconds / (1.5 · batch)
  const secondsPerPass = stepSeconds / (1.5 * settings.batchSize);
  const seeds = settings.seeds?.length ?? 1;
  return seeds * estimatePasses(settings, trainImages) * secondsPerPass;
}

/** The line printed before a run starts. */
export function estimateLine(settings: ReproductionSettings, trainImages: number): string {
  const stepSeconds = measureStepSeconds(settings);
  const seconds = estimateRunSeconds(settings, trainImages, stepSeconds);
  const seeds = settings.seeds?.length ?? 1;
  const hours = seconds >= 3600 ? ` (${(seconds / 3600).toFixed(1)} hours)` : '';
  return `estimated time: about ${formatDuration(seconds)}${hours}${seeds > 1 ? ` for ${seeds} seeds` : ''}, from a ${settings.model} training step measured here at ${stepSeconds.toFixed(2)} s (batch ${settings.batchSize}); rough, RobustNorm runs slower than BatchNorm. ` +
    'Stop it at any time: the same command resumes from the last finished epoch, attack row or experiment.';
}
