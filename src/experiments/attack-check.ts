/**
 * Experiment 9, "Statistics or a weaker attack?": is the robustness that batch
 * statistics seem to give (Table 1's B, Figure 3's RobustNorm) a property of
 * the model, or of an attack that is weaker against it?
 *
 * With batch statistics every image's output depends on the other images of
 * its batch, and an attack's gradient flows through the statistics of all of
 * them. That coupling is a known way for an evaluation to mask gradients
 * (Athalye, Carlini & Wagner 2018, "Obfuscated Gradients"; Carlini et al.
 * 2019, "On Evaluating Adversarial Robustness"). Their tests, each beside
 * BatchNorm with population statistics (a fixed function, no coupling):
 *
 * - Convergence: PGD-20 at step ε/10 (the paper's), then PGD with more steps
 *   (`steps`, at step 2.5·ε/steps, Madry et al.'s rule) and `restarts` random
 *   starts. An accuracy that still falls with more steps had not converged.
 * - Transfer: images crafted on a model without coupling, then classified in
 *   the target mode: crafted on BatchNorm with population statistics (for
 *   BatchNorm's B that is the same weights), and on RobustNorm with its
 *   frozen running mean and range (for RobustNorm: the same weights).
 * - Batch composition: the attacker owns one image in a batch of clean ones,
 *   or half the batch (attacks/part-of-batch.ts); and inference batch size 1.
 *   The first is the realistic threat: the statistics barely move.
 * - RobustNorm's test-time statistics vs its weights: RobustNorm with batch
 *   statistics beside the same weights with frozen running mean and range.
 *
 * Every cell keeps its counts (correct of images), so the report gives each a
 * 95% interval and the verdicts (report-attack-check.ts) are computed from them.
 */
import { pgdOnPartOfBatch } from '../attacks/part-of-batch.js';
import { pgd } from '../attacks/pgd.js';
import { pgdWithRestarts, predictions } from '../attacks/restarts.js';
import type { AttackSettings } from '../attacks/common.js';
import { epsToPixel } from '../attacks/units.js';
import { limitDataset } from '../data/datasets.js';
import { batches, type Batch } from '../data/loader.js';
import type { Module } from '../nn/module.js';
import type { NormKind } from '../nn/norm-factory.js';
import type { NormStatistics } from '../nn/norm-statistics.js';
import { Random } from '../random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ExperimentContext } from './context.js';
import type { AttackCheckSettings } from './settings.js';
import { modelSpec } from './trained-models.js';

/** `correct` of `images` classified correctly. */
export interface CheckCell {
  correct: number;
  images: number;
}

/** The rows: BatchNorm with population statistics (the baseline) and every mode whose robustness is in question. */
export const CHECK_ROWS = [
  { key: 'bn-p', norm: 'bn', statistics: 'population', label: 'BN (P)' },
  { key: 'bn-b', norm: 'bn', statistics: 'batch', label: 'BN (B)' },
  { key: 'rn', norm: 'rn', statistics: 'batch', label: 'RN' },
  { key: 'rn-mu', norm: 'rn', statistics: 'population-mean', label: 'RN w/ μ̂_P' },
  { key: 'rn-p', norm: 'rn', statistics: 'population', label: 'RN, frozen (running mean and range)' },
] as const satisfies ReadonlyArray<{ key: string; norm: NormKind; statistics: NormStatistics; label: string }>;

/** A row's key: `bn-p`, `bn-b`, `rn`, `rn-mu`, `rn-p`. */
export type CheckRowKey = (typeof CHECK_ROWS)[number]['key'];

/**
 * The columns. `pgd-<k>` for each of settings' stronger step counts;
 * `transfer-bn`: crafted on BN (P) by the strongest PGD; `transfer-own`:
 * crafted on the same weights with frozen statistics (RobustNorm rows);
 * `one-in-batch`, `half-batch`: the attacker owns one image / half of each
 * batch; `batch-1`: attacked and classified one image at a time.
 */
export type CheckColumn = `pgd-${number}` | 'transfer-bn' | 'transfer-own' | 'one-in-batch' | 'half-batch' | 'batch-1';

/** One model in one statistics mode: clean and each column it was measured under. */
export interface AttackCheckRow {
  key: CheckRowKey;
  model: string;
  label: string;
  statistics: NormStatistics;
  clean: CheckCell;
  cells: Partial<Record<CheckColumn, CheckCell>>;
}

/** Experiment 9's result. */
export interface AttackCheckResult {
  /** ε in paper units and in pixels; the batch size of every batch-mode cell. */
  eps: number;
  epsPixel: number;
  batchSize: number;
  check: AttackCheckSettings;
  rows: AttackCheckRow[];
}

/** The paper's PGD-20 at step ε/10 (pixel units). */
function paperPgd(epsPixel: number): AttackSettings {
  return { eps: epsPixel, epsIter: epsPixel / 10, nbIter: 20 };
}

/** PGD with `steps` steps of 2.5·ε/steps (Madry et al.: enough to cross the ball 2.5 times). */
export function strongerPgd(epsPixel: number, steps: number): AttackSettings {
  return { eps: epsPixel, epsIter: (2.5 * epsPixel) / steps, nbIter: steps };
}

function countCorrect(predicted: readonly number[], labels: ArrayLike<number>, which: (n: number) => boolean = () => true): number {
  let correct = 0;
  predicted.forEach((label, n) => { if (which(n) && label === labels[n]) correct++; });
  return correct;
}

function addTo(cells: Partial<Record<CheckColumn, CheckCell>>, column: CheckColumn, correct: number, images: number): void {
  const cell = cells[column] ?? { correct: 0, images: 0 };
  cells[column] = { correct: cell.correct + correct, images: cell.images + images };
}

/** What the direct attacks of one row found: its cells, and per batch the strongest PGD's images (to transfer). */
interface DirectResult {
  clean: CheckCell;
  cells: Partial<Record<CheckColumn, CheckCell>>;
  strongest: Tensor[];
}

/** Clean, PGD-20 and each stronger PGD (with restarts) on every batch, in the mode `statistics`. */
function directAttacks(model: Module, statistics: NormStatistics, data: Batch[], epsPixel: number, check: AttackCheckSettings, random: Random, tick: () => void): DirectResult {
  model.eval();
  model.setNormStatistics(statistics);
  const clean = { correct: 0, images: 0 };
  const cells: Partial<Record<CheckColumn, CheckCell>> = {};
  const strongest: Tensor[] = [];
  for (const batch of data) {
    const count = batch.labels.length;
    clean.correct += countCorrect(predictions(model, batch.images), batch.labels);
    clean.images += count;
    let adversarial = pgd(model, batch.images, batch.labels, paperPgd(epsPixel), random);
    addTo(cells, 'pgd-20', countCorrect(predictions(model, adversarial), batch.labels), count);
    for (const steps of check.steps) {
      const result = pgdWithRestarts(model, batch.images, batch.labels, strongerPgd(epsPixel, steps), random, check.restarts);
      addTo(cells, `pgd-${steps}`, result.correct.filter(Boolean).length, count);
      adversarial = result.adversarial;
    }
    strongest.push(adversarial);
    tick();
  }
  return { clean, cells, strongest };
}

/** Images crafted elsewhere (`crafted`, per batch), classified by `model` in the mode `statistics`. */
function transferred(model: Module, statistics: NormStatistics, data: Batch[], crafted: Tensor[]): CheckCell {
  model.eval();
  model.setNormStatistics(statistics);
  let correct = 0;
  data.forEach((batch, b) => (correct += countCorrect(predictions(model, crafted[b] as Tensor), batch.labels)));
  return { correct, images: data.reduce((total, batch) => total + batch.labels.length, 0) };
}

/**
 * The batch-composition cells of a batch-statistics mode: the attacker owns
 * one image (each of the first `check.oneInBatch`, in turn, among the rest of
 * its batch, clean), or half of each batch; and batch size 1.
 */
function compositionAttacks(model: Module, statistics: NormStatistics, data: Batch[], single: Batch[], epsPixel: number, check: AttackCheckSettings, random: Random, tick: () => void): Partial<Record<CheckColumn, CheckCell>> {
  model.eval();
  model.setNormStatistics(statistics);
  const cells: Partial<Record<CheckColumn, CheckCell>> = {};
  const attack = paperPgd(epsPixel);
  let left = check.oneInBatch;
  for (const batch of data) {
    const count = batch.labels.length;
    for (let n = 0; n < count && left > 0; n++, left--) {
      const owned = Array.from({ length: count }, (_, i) => i === n);
      const adversarial = pgdOnPartOfBatch(model, batch.images, batch.labels, owned, attack, random);
      addTo(cells, 'one-in-batch', countCorrect(predictions(model, adversarial), batch.labels, (i) => i === n), 1);
      tick();
    }
  }
  if (check.halfBatch) {
    for (const batch of data) {
      const count = batch.labels.length;
      for (const firstHalf of [true, false]) {
        const owned = Array.from({ length: count }, (_, i) => (i < count / 2) === firstHalf);
        const adversarial = pgdOnPartOfBatch(model, batch.images, batch.labels, owned, attack, random);
        addTo(cells, 'half-batch', countCorrect(predictions(model, adversarial), batch.labels, (i) => owned[i] === true), owned.filter(Boolean).length);
      }
      tick();
    }
  }
  if (check.batchOne) {
    for (const image of single) {
      const adversarial = pgd(model, image.images, image.labels, attack, random);
      addTo(cells, 'batch-1', countCorrect(predictions(model, adversarial), image.labels), 1);
    }
    tick();
  }
  return cells;
}

/** Each group's random stream: distinct for every (seed, group), so no two seeds' groups share one. */
function streamFor(seed: number, group: number): Random {
  return new Random(seed * 1000 + group);
}

/** The stronger PGD runs: step counts other than the paper's 20, in ascending order (the last is the strongest). */
function checkSteps(steps: readonly number[]): void {
  steps.forEach((count, i) => {
    if (!Number.isInteger(count) || count < 1 || count === 20 || (i > 0 && count <= (steps[i - 1] as number))) {
      throw new Error(`attack check: steps must be ascending whole numbers other than the paper's 20, got [${steps.join(', ')}]`);
    }
  });
}

/** Experiment 9: every row's direct, transferred and batch-composition accuracies. */
export function attackCheck(context: ExperimentContext): AttackCheckResult {
  const { settings } = context;
  const check = settings.attackCheck;
  if (check === undefined) throw new Error('the attack check (experiment 9) needs settings.attackCheck');
  checkSteps(check.steps);
  const epsPixel = epsToPixel(settings.eps, 'paper');
  const data = [...batches(limitDataset(context.test, check.images), { batchSize: settings.batchSize })];
  const single = check.batchOne ? [...batches(limitDataset(context.test, check.images), { batchSize: 1 })] : [];
  const modelOf = (norm: NormKind) => context.models.get(modelSpec(settings, norm)).model;
  // both models first (trained here if no other experiment did), so no attack stage waits on a training run
  modelOf('bn');
  modelOf('rn');
  const rowOf = (key: CheckRowKey) => CHECK_ROWS.find((row) => row.key === key) as (typeof CHECK_ROWS)[number];
  const stageFor = (label: string, steps: number, passes: number) => {
    const stage = context.progress.stage(`attack check: ${label}`, steps, passes / steps);
    let done = 0;
    return { tick: () => stage.tick(++done), end: () => stage.end() };
  };
  const directPasses = check.images * (20 + check.restarts * check.steps.reduce((sum, steps) => sum + steps, 0));

  // A source of transfer: its direct cells, and the target cells its strongest PGD's images give.
  const source = (key: 'bn-p' | 'rn-p', targets: readonly CheckRowKey[], seedOffset: number) =>
    context.cached(`attack-check ${key}`, () => {
      const row = rowOf(key);
      const stage = stageFor(`${row.label} and transfers`, data.length, directPasses);
      const direct = directAttacks(modelOf(row.norm), row.statistics, data, epsPixel, check, streamFor(settings.seed, seedOffset), stage.tick);
      stage.end();
      const transfers = Object.fromEntries(targets.map((target) => [target, transferred(modelOf(rowOf(target).norm), rowOf(target).statistics, data, direct.strongest)]));
      return { clean: direct.clean, cells: direct.cells, transfers: transfers as Partial<Record<CheckRowKey, CheckCell>> };
    });
  const wanted = (key: CheckRowKey) => key === 'bn-p' || (check.rows as readonly string[]).includes(key);
  const fromBn = source('bn-p', (['bn-b', 'rn', 'rn-mu', 'rn-p'] as const).filter(wanted), 1);
  const fromRn = wanted('rn-p') ? source('rn-p', (['rn', 'rn-mu'] as const).filter(wanted), 2) : undefined;

  const compositionSteps = check.oneInBatch + (check.halfBatch ? data.length : 0) + (check.batchOne ? 1 : 0);
  const compositionPasses = settings.batchSize * check.oneInBatch * 20 + (check.halfBatch ? 2 * check.images * 20 : 0) + (check.batchOne ? check.images * 20 : 0);
  const batchMode = (key: 'bn-b' | 'rn' | 'rn-mu', seedOffset: number) =>
    context.cached(`attack-check ${key}`, () => {
      const row = rowOf(key);
      const model = modelOf(row.norm);
      const stage = stageFor(row.label, data.length + compositionSteps, directPasses + compositionPasses);
      const direct = directAttacks(model, row.statistics, data, epsPixel, check, streamFor(settings.seed, seedOffset), stage.tick);
      const composition = compositionAttacks(model, row.statistics, data, single, epsPixel, check, streamFor(settings.seed, seedOffset + 100), stage.tick);
      stage.end();
      return { clean: direct.clean, cells: { ...direct.cells, ...composition } };
    });
  const measured: Partial<Record<CheckRowKey, { clean: CheckCell; cells: Partial<Record<CheckColumn, CheckCell>> }>> = {
    'bn-p': fromBn,
    ...(wanted('bn-b') ? { 'bn-b': batchMode('bn-b', 3) } : {}),
    ...(wanted('rn') ? { rn: batchMode('rn', 4) } : {}),
    ...(wanted('rn-mu') ? { 'rn-mu': batchMode('rn-mu', 5) } : {}),
    ...(fromRn !== undefined ? { 'rn-p': fromRn } : {}),
  };

  const rows = CHECK_ROWS.filter((row) => wanted(row.key)).map((row): AttackCheckRow => {
    const own = measured[row.key] as { clean: CheckCell; cells: Partial<Record<CheckColumn, CheckCell>> };
    const cells = { ...own.cells };
    const fromBatchNorm = fromBn.transfers[row.key];
    if (fromBatchNorm !== undefined) cells['transfer-bn'] = fromBatchNorm;
    const fromOwnWeights = row.key === 'bn-b' ? fromBatchNorm : fromRn?.transfers[row.key];
    if (fromOwnWeights !== undefined) cells['transfer-own'] = fromOwnWeights;
    return { key: row.key, model: row.norm, label: row.label, statistics: row.statistics, clean: own.clean, cells };
  });
  return { eps: settings.eps, epsPixel, batchSize: settings.batchSize, check: structuredClone(check), rows };
}
