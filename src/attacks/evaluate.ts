/**
 * Clean and adversarial accuracy of a model, batch by batch, in inference
 * mode with the chosen normalization statistics. In `batch` mode each
 * adversarial batch is classified with its own statistics, and the attack's
 * gradients flow through them, as in the paper.
 */
import { reuseBuffers } from '../buffer-pool.js';
import { batches } from '../data/loader.js';
import type { Dataset } from '../data/datasets.js';
import type { Module } from '../nn/module.js';
import type { NormStatistics } from '../nn/norm-statistics.js';
import { Random } from '../random.js';
import { noGrad } from '../tensor/autograd.js';
import type { Tensor } from '../tensor/tensor.js';
import { countCorrect } from '../training/train.js';
import { ATTACK_NAMES, runAttack, type AttackConfig, type AttackName } from './registry.js';

/** Options of {@link evaluateRobustness}: attacks, statistics mode, batch size, seed and their settings. */
export interface RobustnessOptions extends AttackConfig {
  attacks: readonly AttackName[];
  statistics: NormStatistics;
  batchSize: number;
  /** Seeds PGD's random starts. */
  seed?: number;
  /** Called after the clean pass and after each attack of every batch. */
  onBatch?: (done: number, total: number, attack: AttackName | 'clean') => void;
}

/** Accuracy under one attack, with the mean size of its perturbations and its time. */
export interface AttackResult {
  attack: AttackName;
  accuracy: number;
  /** Mean over images of ‖x_adv − x‖∞ and ‖x_adv − x‖₂, in pixel units. */
  meanLinf: number;
  meanL2: number;
  seconds: number;
  secondsPer1000: number;
}

/** Clean accuracy and accuracy under each attack, in one statistics mode. */
export interface RobustnessResult {
  statistics: NormStatistics;
  images: number;
  cleanAccuracy: number;
  attacks: AttackResult[];
}

function perturbationNorms(clean: Tensor, adversarial: Tensor): { linf: number; l2: number } {
  const samples = clean.shape[0] as number;
  const perSample = clean.size / samples;
  let linf = 0;
  let l2 = 0;
  for (let n = 0; n < samples; n++) {
    let sampleMax = 0;
    let squares = 0;
    for (let i = n * perSample; i < (n + 1) * perSample; i++) {
      const difference = (adversarial.data[i] as number) - (clean.data[i] as number);
      sampleMax = Math.max(sampleMax, Math.abs(difference));
      squares += difference * difference;
    }
    linf += sampleMax;
    l2 += Math.sqrt(squares);
  }
  return { linf, l2 };
}

function checkOptions(data: Dataset, options: RobustnessOptions): void {
  if (data.count === 0) throw new Error('evaluateRobustness: the dataset is empty');
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new Error(`evaluateRobustness: batchSize must be a positive integer, got ${options.batchSize}`);
  if (!(options.eps >= 0)) throw new Error(`evaluateRobustness: eps must be ≥ 0 (pixel units), got ${options.eps}`);
  for (const name of options.attacks) {
    if (!(ATTACK_NAMES as readonly string[]).includes(name)) throw new Error(`evaluateRobustness: unknown attack "${name}"; choose from ${ATTACK_NAMES.join(', ')}`);
  }
}

/**
 * Attacks every batch of `data` with each attack in `options.attacks` (ε in
 * pixel units) and classifies the result, all with the model in `eval()` mode
 * and `options.statistics` normalization statistics — the paper's test path.
 * One seeded generator (`options.seed`, default 0) feeds every PGD random start.
 */
export function evaluateRobustness(model: Module, data: Dataset, options: RobustnessOptions): RobustnessResult {
  checkOptions(data, options);
  model.eval();
  model.setNormStatistics(options.statistics);
  const random = new Random(options.seed ?? 0);
  const totals = new Map(options.attacks.map((name) => [name, { correct: 0, linf: 0, l2: 0, seconds: 0 }]));
  let cleanCorrect = 0;
  const batchList = [...batches(data, { batchSize: options.batchSize })];
  batchList.forEach((batch, index) => {
    cleanCorrect += reuseBuffers(() => noGrad(() => countCorrect(model.forward(batch.images), batch.labels)));
    options.onBatch?.(index, batchList.length, 'clean');
    for (const name of options.attacks) {
      const total = totals.get(name) as { correct: number; linf: number; l2: number; seconds: number };
      const start = performance.now();
      const adversarial = runAttack(name, model, batch.images, batch.labels, options, random);
      total.seconds += (performance.now() - start) / 1000;
      total.correct += reuseBuffers(() => noGrad(() => countCorrect(model.forward(adversarial), batch.labels)));
      const norms = perturbationNorms(batch.images, adversarial);
      total.linf += norms.linf;
      total.l2 += norms.l2;
      options.onBatch?.(index + 1, batchList.length, name);
    }
  });
  return {
    statistics: options.statistics,
    images: data.count,
    cleanAccuracy: cleanCorrect / data.count,
    attacks: options.attacks.map((name) => {
      const total = totals.get(name) as { correct: number; linf: number; l2: number; seconds: number };
      return {
        attack: name, accuracy: total.correct / data.count, meanLinf: total.linf / data.count, meanL2: total.l2 / data.count,
        seconds: total.seconds, secondsPer1000: (total.seconds / data.count) * 1000,
      };
    }),
  };
}
