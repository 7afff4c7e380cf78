/**
 * The settings of a reproduction run, and its presets.
 *
 * ε is stated in the paper's units: its code normalized MNIST and Fashion-MNIST
 * inputs with mean 0.1307 and std 0.3081 and gave ε in those units. Our models
 * carry that normalization as their first layer and are attacked in pixel
 * units, so every ε here is converted with ε_pixel = 0.3081 · ε_paper
 * (attacks/units.ts) before an attack runs; the report prints both.
 */
import type { AttackName } from '../attacks/registry.js';
import { ATTACK_NAMES } from '../attacks/registry.js';
import type { DatasetName } from '../data/datasets.js';

/** The experiments by number, as the reproduction issue lists them. */
export const EXPERIMENTS = {
  1: 'Table 1: population vs batch statistics (BatchNorm)',
  2: 'Table 3: normalizations without moving averages',
  3: 'Figure 3: RobustNorm vs BatchNorm',
  4: 'Figure 2: the statistics shift under attack',
  5: 'Figure 4: small inference batches',
  6: 'Figure 6: the power p',
  7: 'Figure 7: increasing ε',
  8: 'Table 4: adversarial training',
  9: 'Attack check: statistics or a weaker attack?',
} as const;

/** An experiment's number in {@link EXPERIMENTS}. */
export type ExperimentNumber = keyof typeof EXPERIMENTS;
/** The experiments' numbers, 1 to 9. */
export const EXPERIMENT_NUMBERS = Object.keys(EXPERIMENTS).map(Number) as ExperimentNumber[];

/** The strong Carlini–Wagner row's settings (see {@link ReproductionSettings.strongCw}). */
export interface StrongCwSettings {
  images: number;
  learningRate: number;
  binarySearchSteps: number;
  maxIterations: number;
}

/**
 * Strong CW: 100 Adam steps at rate 0.1 in tanh space, one round at the
 * paper's c. Adam's steps are about the rate in size whatever the gradient, so
 * 100 × 0.1 lets even a pixel at exactly 0 or 1 (tanh space ±7.25) cross
 * the whole box, which the paper's 10 × ε/10 = 0.2 cannot.
 */
export const STRONG_CW = { learningRate: 0.1, binarySearchSteps: 1, maxIterations: 100 };

/**
 * The size of experiment 9, "Statistics or a weaker attack?" (attack-check.ts):
 * test images for every cell but one-in-batch; the stronger PGD runs beyond the
 * paper's 20 steps (each at step 2.5·ε/steps) and their random restarts; how
 * many images are attacked one at a time among a batch of clean ones (each
 * costs a whole batch's passes); whether to run the half-batch attack and
 * inference batch size 1.
 */
export interface AttackCheckSettings {
  /**
   * The modes measured beside BN (P), which is always measured: `bn-b`, `rn`,
   * `rn-mu` (RN w/ μ̂_P), `rn-p` (RobustNorm frozen: running mean and range).
   */
  rows: Array<'bn-b' | 'rn' | 'rn-mu' | 'rn-p'>;
  images: number;
  steps: number[];
  restarts: number;
  oneInBatch: number;
  halfBatch: boolean;
  batchOne: boolean;
}

/** Every setting of a reproduction run (a preset, with flags laid over it). */
export interface ReproductionSettings {
  preset: string;
  dataset: DatasetName;
  /** Where the dataset's IDX files are (fashion-mnist, mnist-full); optional. */
  dataDir?: string;
  /** `small-cnn` or `resnet<6n+2>`. */
  model: string;
  epochs: number;
  /** Training images used (all when undefined). */
  trainLimit?: number;
  /** Test images classified and attacked. */
  testLimit: number;
  /** Test images for the sweeps (Figures 4, 6 and 7), which run many more attacks. */
  sweepLimit: number;
  /** Training and inference batch size (128 in the paper). */
  batchSize: number;
  lr: number;
  /** The paper trained without normalization at lr 0.01 (0.1 did not converge). */
  noNormLr: number;
  momentum: number;
  weightDecay: number;
  milestones: number[];
  gamma: number;
  /** Random horizontal flips during training, as the paper's MNIST code did. */
  flip: boolean;
  /** ε of every attack, in the paper's (normalized) units. */
  eps: number;
  /** Carlini–Wagner's initial c (10 for MNIST and Fashion-MNIST in the paper). */
  cwConst: number;
  /**
   * A Carlini–Wagner run long enough to converge, beside the paper's (which
   * barely moves an image; see the report): Adam's rate in tanh space, rounds
   * of the binary search × Adam steps, on the first `images` test images.
   * Unset: not run.
   */
  strongCw?: StrongCwSettings;
  attacks: AttackName[];
  experiments: ExperimentNumber[];
  /** Experiment 9's size; unset: experiment 9 cannot run. */
  attackCheck?: AttackCheckSettings;
  /** Figure 7's ε values, paper units. */
  epsSweep: number[];
  /** Figure 4's inference batch sizes. */
  batchSizes: number[];
  /** Figure 6's RobustNorm powers. */
  powers: number[];
  /** Adversarial training (Table 4): PGD with this ε (paper units), step ε/4, `advIter` steps. */
  advEps: number;
  advIter: number;
  seed: number;
  /**
   * Train and attack once per seed and report mean ± spread (seeds.ts); each
   * seed's run goes to OUT/seed-<n>/. Unset or one seed: a single run with `seed`.
   */
  seeds?: number[];
  /** Why the preset is what it is, printed in the report's settings. */
  note?: string;
}

const paperTraining = { lr: 0.1, noNormLr: 0.01, momentum: 0.9, weightDecay: 1e-4, milestones: [30], gamma: 0.1, flip: true, batchSize: 128 };

/** The paper's sweeps (Figures 4, 6, 7) for MNIST and Fashion-MNIST. */
const mnistSweeps = { epsSweep: [0.05, 0.1, 0.15, 0.2, 0.25, 0.3], batchSizes: [1, 2, 4, 8, 16, 32, 64, 128], powers: [0.05, 0.1, 0.2, 0.5, 1] };
const fashionSweeps = { ...mnistSweeps, epsSweep: [0.02, 0.04, 0.06, 0.1, 0.15, 0.2] };

/**
 * Training that reaches ≥ 97% on MNIST in a few epochs (the `quick` preset's
 * note says how it was measured): the paper's SGD, without the random
 * horizontal flips its MNIST code used (a mirrored digit is often another
 * digit: with flips resnet8 reached 93.8% in 4 epochs on the embedded 8,000,
 * without them 97.7%), and lr ÷10 for the last epoch, so that the running
 * averages BatchNorm uses at inference settle.
 */
const shortTraining = { ...paperTraining, flip: false };

/**
 * Experiment 9 at three sizes. `quickCheck` fits `npm start`'s budget (about
 * two minutes on a 2-core machine): BN (B) and RobustNorm beside BN (P) under
 * PGD-100, transfer from BN (P), and the realistic one-image-in-a-batch attack
 * on 4 images (each costs a whole batch's passes), on one batch of 128.
 * `fullCheck` for the longer presets adds RN w/ μ̂_P and RobustNorm frozen,
 * PGD-500, half batches and batch size 1; `paperCheck` restarts too.
 */
const everyRow: AttackCheckSettings['rows'] = ['bn-b', 'rn', 'rn-mu', 'rn-p'];
const quickCheck: AttackCheckSettings = { rows: ['bn-b', 'rn'], images: 128, steps: [100], restarts: 1, oneInBatch: 4, halfBatch: false, batchOne: false };
const fullCheck: AttackCheckSettings = { rows: everyRow, images: 256, steps: [100, 500], restarts: 1, oneInBatch: 32, halfBatch: true, batchOne: true };
const paperCheck: AttackCheckSettings = { rows: everyRow, images: 1000, steps: [100, 500], restarts: 2, oneInBatch: 128, halfBatch: true, batchOne: true };

/** The full check's columns on one batch of 128, without RN w/ μ̂_P: about a quarter of its time, for a laptop. */
const compactCheck: AttackCheckSettings = { rows: ['bn-b', 'rn', 'rn-p'], images: 128, steps: [100, 500], restarts: 1, oneInBatch: 16, halfBatch: true, batchOne: true };

/** Experiment 9's sizes by name, for `reproduce --attack-check <size>`. */
export const ATTACK_CHECK_SIZES = { quick: quickCheck, compact: compactCheck, full: fullCheck, paper: paperCheck } as const;

/**
 * `quick`: `npm start`, the paper's model family on the embedded MNIST, Tables
 * 1 and Figure 3 (and Figure 2) on 512 test images; budget chosen by measurement,
 * the report repeats why.
 * `smoke`: a run of about a minute for CI and lesson 10; its numbers mean nothing.
 * `mnist`: ResNet8 on 20,000 training images, three seeds, Tables 1 and 3 and
 * Figures 2, 3 and 7 (about 3 hours for the three seeds on a 2-core machine).
 * `fashion-mnist`: ResNet14 on all 60,000 training images for 8 epochs, so that
 * BatchNorm reaches the paper's clean accuracy (≥ 93%, issue 33), one seed,
 * the same experiments (about 3.5 hours on a 2-core machine; the run prints
 * its estimate).
 * `paper` / `paper-fashion-mnist`: the paper's full budget: ResNet20, 50 epochs,
 * the full training and test sets, every experiment (days on a CPU; the run
 * prints its estimate, and resumes where it stopped).
 */
export const PRESETS: Record<string, ReproductionSettings> = {
  quick: {
    preset: 'quick', dataset: 'mnist', model: 'resnet8', epochs: 4, testLimit: 512, sweepLimit: 512,
    ...shortTraining, milestones: [3], eps: 0.2, cwConst: 10, attacks: [...ATTACK_NAMES], experiments: [1, 3, 4, 9], attackCheck: quickCheck,
    ...mnistSweeps, advEps: 0.2, advIter: 10, seed: 0,
    strongCw: { ...STRONG_CW, images: 64 },
    note: 'resnet8 (the paper\'s ResNet family, with global average pooling, at its smallest depth) for 4 epochs on the 8,000 embedded digits, lr ÷10 for the 4th, no flips. ' +
      'Measured on a 2-core machine (webasm, 2 threads): a training step of batch 128 takes ≈0.3 s (0.4 s before the kernel work of 2026-11-30), an epoch ≈17–21 s; BatchNorm reached 61%, 83%, 95% and, after the lr drop, 97.7% test accuracy (population statistics, 2,000 test digits) in its 4 epochs, ' +
      'against 93.8% with the paper\'s random flips, which make many digits ambiguous. Fewer epochs leave BatchNorm below the 97% that makes a gap under attack more than a gap in clean accuracy. ' +
      '512 test images in batches of 128 give each accuracy a 95% interval of about ±4 points at 50%. The strong CW row costs 100 forward-backward passes per image, so it runs on the first 64 (128 before experiment 9 took its time). ' +
      'The whole run takes about 12 minutes on a quiet 2-core machine (measured 11 min 54 s in a fresh clone on 2026-12-06, after a 2 min 36 s npm install: 14 min 30 s for both; 10 min 17 s before experiment 9 was added; an attack\'s forward and backward pass of 128 digits takes ≈0.2 s, and each test digit gets 91 of them), so that npm install and npm start together stay within the 15 minutes the project aims for, and more when the machine is shared. ' +
      'Figure 7 (the ε sweep) is left to the larger presets: it alone would double the run. ' +
      'Experiment 9 (statistics or a weaker attack?) runs small here: BN (B) and RobustNorm under PGD-100 and transfer on one batch of 128, one-in-128 on 4 images (each of those costs a whole batch\'s 20 passes); RN w/ μ̂_P, RobustNorm frozen, PGD-500, half batches and batch size 1 are in the larger presets\' check, or `--attack-check full` on these models.',
  },
  smoke: {
    preset: 'smoke', dataset: 'mnist', model: 'small-cnn', epochs: 1, trainLimit: 128, testLimit: 8, sweepLimit: 4,
    ...paperTraining, batchSize: 8, eps: 0.2, cwConst: 10, attacks: [...ATTACK_NAMES], experiments: [1, 2, 3, 4, 5, 6, 7, 8, 9],
    attackCheck: { rows: everyRow, images: 8, steps: [4], restarts: 2, oneInBatch: 2, halfBatch: true, batchOne: true },
    epsSweep: [0.1, 0.3], batchSizes: [1, 4], powers: [0.2, 1], advEps: 0.2, advIter: 1, seed: 0,
    strongCw: { ...STRONG_CW, images: 4, maxIterations: 3 },
  },
  mnist: {
    preset: 'mnist', dataset: 'mnist-full', model: 'resnet8', epochs: 3, trainLimit: 20000, testLimit: 1024, sweepLimit: 512,
    ...shortTraining, milestones: [2], eps: 0.2, cwConst: 10, attacks: [...ATTACK_NAMES], experiments: [1, 2, 3, 4, 7, 9], attackCheck: fullCheck,
    ...mnistSweeps, advEps: 0.2, advIter: 10, seed: 0, seeds: [0, 1, 2],
    strongCw: { ...STRONG_CW, images: 256 },
    note: 'resnet8 on 20,000 of the 60,000 MNIST training digits for 3 epochs (lr ÷10 for the 3rd, no flips), three seeds, 1,024 test images (512 for the ε sweep).',
  },
  'fashion-mnist': {
    preset: 'fashion-mnist', dataset: 'fashion-mnist', model: 'resnet14', epochs: 8, testLimit: 1024, sweepLimit: 256,
    // Table 3 (LayerNorm and no norm) last: the paper's headline comes first
    ...shortTraining, milestones: [7], eps: 0.06, cwConst: 10, attacks: [...ATTACK_NAMES], experiments: [1, 3, 4, 7, 9, 2], attackCheck: quickCheck,
    ...fashionSweeps, advEps: 0.06, advIter: 10, seed: 0, seeds: [0],
    strongCw: { ...STRONG_CW, images: 256 },
    note: 'resnet14 on all 60,000 Fashion-MNIST training images for 8 epochs (lr ÷10 for the 8th, no flips), one seed (`--seeds 0,1,2` for three), 1,024 test images (256 for the ε sweep). ' +
      'The paper\'s effect needs its clean accuracy (BatchNorm 93.7%); the issue asked for BatchNorm ≥ 93% with population statistics on all 10,000 test images. ' +
      'Measured on 2026-12-06/07 (all 10,000 test images): resnet8 stays under it at every budget tried, here (92.4% at 8 and 92.5% at 10 epochs) and in a matched PyTorch resnet8 (bench/fashion-init.py: 92.6–93.0% at 10 epochs over two seeds and both inits, 92.8–93.0% at 15, 92.4–92.7% with random flips, 92.4–92.6% with weight decay 5e-4); ' +
      'the matched PyTorch resnet14 reached 93.39% after 8 epochs with the lr drop for the 8th (93.38% after 10; 93.05% with seed 1), and this preset\'s own run 93.14%. A resnet14 step takes ≈2× a resnet8 one here, so this is the smallest budget measured to reach 93%. ' +
      'To save time experiment 9 runs at its quick size (`--attack-check compact` for the larger one) and the ε sweep on 256 images; Table 3 runs last.',
  },
  paper: {
    preset: 'paper', dataset: 'mnist-full', model: 'resnet20', epochs: 50, testLimit: 10000, sweepLimit: 10000,
    ...paperTraining, eps: 0.2, cwConst: 10, attacks: [...ATTACK_NAMES], experiments: [...EXPERIMENT_NUMBERS], attackCheck: paperCheck,
    ...mnistSweeps, advEps: 0.2, advIter: 10, seed: 0,
    strongCw: { ...STRONG_CW, images: 1000 },
    note: 'The paper\'s own budget: ResNet20, 50 epochs of the 60,000 MNIST digits (lr ÷10 at epoch 30, random flips as its code did), every test image.',
  },
  'paper-fashion-mnist': {
    preset: 'paper-fashion-mnist', dataset: 'fashion-mnist', model: 'resnet20', epochs: 50, testLimit: 10000, sweepLimit: 10000,
    ...paperTraining, eps: 0.06, cwConst: 10, attacks: [...ATTACK_NAMES], experiments: [...EXPERIMENT_NUMBERS], attackCheck: paperCheck,
    ...fashionSweeps, advEps: 0.06, advIter: 10, seed: 0,
    strongCw: { ...STRONG_CW, images: 1000 },
    note: 'The paper\'s own budget: ResNet20, 50 epochs of the 60,000 Fashion-MNIST images (lr ÷10 at epoch 30, random flips as its code did), every test image.',
  },
};

/** The names of the presets in {@link PRESETS}. */
export const PRESET_NAMES = Object.keys(PRESETS);

/** A copy of the preset `name`'s settings, or an error listing the presets. */
export function presetSettings(name: string): ReproductionSettings {
  const preset = PRESETS[name];
  if (preset === undefined) throw new Error(`unknown preset "${name}"; choose one of ${PRESET_NAMES.join(', ')}`);
  return structuredClone(preset);
}

/** "1,3,7" → [1, 3, 7], or a clear error naming the bad entry. */
export function parseExperimentList(value: string): ExperimentNumber[] {
  return value.split(',').map((part) => {
    const name = part.trim();
    const byName = EXPERIMENT_NUMBERS.find((number) => experimentName(number) === name.toLowerCase().replace(/[\s-]/g, ''));
    if (byName !== undefined) return byName;
    const number = Number(name);
    if (name === '' || !(EXPERIMENT_NUMBERS as number[]).includes(number)) {
      throw new Error(`unknown experiment "${name}"; choose by number or name: ${EXPERIMENT_NUMBERS.map((n) => `${n} (${experimentName(n)})`).join(', ')}`);
    }
    return number as ExperimentNumber;
  });
}

/** The short name of an experiment, which `--experiments` also accepts: `table1`, `figure3`, … (its number is the reproduction issue's). */
export function experimentName(number: ExperimentNumber): string {
  return (EXPERIMENTS[number].split(':')[0] as string).toLowerCase().replace(/\s/g, '');
}
