/**
 * A reproduction over several seeds: each seed trains its own models and runs
 * its own attacks (reproduce.ts runs them one after another, each in
 * OUT/seed-<n>/); this file merges their results into one set of rows, each
 * accuracy the mean over seeds with the seeds' sample standard deviation
 * beside it (`spread`).
 *
 * Every seed attacks the same test images, so a merged row keeps the image
 * count of one seed: its 95% interval (intervals.ts) is the test-image noise
 * around the mean, and the spread is the seed-to-seed noise (initialization,
 * shuffling, flips, PGD's random starts). The report prints both.
 */
import type { AttackName } from '../attacks/registry.js';
import type { AttackCheckRow, CheckCell, CheckColumn } from './attack-check.js';
import type { AccuracyRow, StrongCwRow } from './context.js';
import type { BatchSizeRow } from './figure4.js';
import type { EpsRow } from './figure7.js';
import type { ModelRecord, ReproductionResults } from './results.js';
import { percentGain, type GainRow } from './table4.js';

/** Mean and sample standard deviation (0 for a single value). */
export function meanAndSpread(values: number[]): { mean: number; spread: number } {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  if (values.length < 2) return { mean, spread: 0 };
  const squares = values.reduce((sum, value) => sum + (value - mean) ** 2, 0);
  return { mean, spread: Math.sqrt(squares / (values.length - 1)) };
}

/** The i-th element of each seed's list, checking that the seeds ran the same rows. */
function column<T>(lists: T[][], what: string): T[][] {
  const length = lists[0]?.length ?? 0;
  if (lists.some((list) => list.length !== length)) throw new Error(`mergeSeeds: the seeds' ${what} have different numbers of rows (${lists.map((list) => list.length).join(', ')})`);
  return Array.from({ length }, (_, i) => lists.map((list) => list[i] as T));
}

/** One AccuracyRow per seed (the same model, statistics and attacks) → their mean and spread. */
export function mergeAccuracyRows(rows: AccuracyRow[]): AccuracyRow {
  const first = rows[0] as AccuracyRow;
  const clean = meanAndSpread(rows.map((row) => row.clean));
  const attacks: Partial<Record<AttackName, number>> = {};
  const spread: Partial<Record<AttackName, number>> = {};
  const seconds: Partial<Record<AttackName, number>> = {};
  for (const attack of Object.keys(first.attacks) as AttackName[]) {
    const merged = meanAndSpread(rows.map((row) => row.attacks[attack] ?? Number.NaN));
    attacks[attack] = merged.mean;
    spread[attack] = merged.spread;
    seconds[attack] = meanAndSpread(rows.map((row) => row.secondsPer1000[attack] ?? Number.NaN)).mean;
  }
  return { ...first, clean: clean.mean, attacks, secondsPer1000: seconds, seeds: rows.length, spread: { clean: clean.spread, attacks: spread } };
}

function mergeModels(perSeed: ModelRecord[][]): ModelRecord[] {
  const keys = [...new Set(perSeed.flatMap((models) => models.map((model) => model.key)))];
  return keys.map((key) => {
    const records = perSeed.map((models) => models.find((model) => model.key === key)).filter((model): model is ModelRecord => model !== undefined);
    const average = (pick: (model: ModelRecord) => number) => meanAndSpread(records.map(pick)).mean;
    const accuracy = meanAndSpread(records.map((model) => model.testAccuracy));
    return {
      ...(records[0] as ModelRecord), testAccuracy: accuracy.mean, testAccuracySpread: accuracy.spread, seeds: records.length,
      trainLoss: average((model) => model.trainLoss), trainSeconds: average((model) => model.trainSeconds), secondsPerStep: average((model) => model.secondsPerStep),
    };
  });
}

function mergeStrongCwRows(rows: StrongCwRow[]): StrongCwRow {
  const clean = meanAndSpread(rows.map((row) => row.clean));
  const accuracy = meanAndSpread(rows.map((row) => row.accuracy));
  const meanL2 = meanAndSpread(rows.map((row) => row.meanL2));
  return {
    ...(rows[0] as StrongCwRow), clean: clean.mean, accuracy: accuracy.mean, meanL2: meanL2.mean,
    secondsPer1000: meanAndSpread(rows.map((row) => row.secondsPer1000)).mean,
    seeds: rows.length, spread: { clean: clean.spread, accuracy: accuracy.spread, meanL2: meanL2.spread },
  };
}

/** Each seed's strong-CW rows (all or none of the seeds have them) merged row by row. */
function mergeStrongCw(parts: Array<{ strongCw?: StrongCwRow[] }>): { strongCw?: StrongCwRow[] } {
  const lists = parts.map((part) => part.strongCw);
  if (!lists.every((list): list is StrongCwRow[] => list !== undefined)) return {};
  return { strongCw: column(lists, 'strong CW rows').map(mergeStrongCwRows) };
}

function mergeBatchSizeRows(rows: BatchSizeRow[]): BatchSizeRow {
  const clean = meanAndSpread(rows.map((row) => row.clean));
  const pgd = meanAndSpread(rows.map((row) => row.pgd));
  return { ...(rows[0] as BatchSizeRow), clean: clean.mean, pgd: pgd.mean, seeds: rows.length, spread: { clean: clean.spread, pgd: pgd.spread } };
}

function mergeEpsRows(rows: EpsRow[]): EpsRow {
  const accuracy = meanAndSpread(rows.map((row) => row.accuracy));
  return { ...(rows[0] as EpsRow), accuracy: accuracy.mean, seeds: rows.length, spread: accuracy.spread };
}

function mergeGainRows(rows: GainRow[]): GainRow {
  const population = mergeAccuracyRows(rows.map((row) => row.population));
  const batch = mergeAccuracyRows(rows.map((row) => row.batch));
  const gain = Object.fromEntries(Object.keys(population.attacks).map((attack) => [attack, percentGain(population.attacks[attack as AttackName] ?? 0, batch.attacks[attack as AttackName] ?? 0)]));
  return { training: (rows[0] as GainRow).training, population, batch, gain };
}

/**
 * The results of the same settings under several seeds, merged: every
 * accuracy the mean over seeds with its spread; Figure 2 (one layer's
 * statistics, not an accuracy) drawn from the first seed, with every seed's
 * mean shifts beside it; wall time summed.
 */
export function mergeSeeds(perSeed: ReproductionResults[]): ReproductionResults {
  const first = perSeed[0];
  if (first === undefined) throw new Error('mergeSeeds: no results to merge');
  const all = <K extends keyof ReproductionResults>(key: K): Array<NonNullable<ReproductionResults[K]>> | undefined => {
    const parts = perSeed.map((results) => results[key]);
    return parts.every((part) => part !== undefined) ? (parts as Array<NonNullable<ReproductionResults[K]>>) : undefined;
  };
  const merged: ReproductionResults = {
    metadata: {
      ...first.metadata,
      seeds: perSeed.map((results) => results.metadata.seed),
      wallSeconds: perSeed.reduce((sum, results) => sum + results.metadata.wallSeconds, 0),
      ...(perSeed.some((results) => results.metadata.runs !== undefined) ? { runs: perSeed.reduce((sum, results) => sum + (results.metadata.runs ?? 1), 0) } : {}),
      models: mergeModels(perSeed.map((results) => results.metadata.models)),
    },
    settings: first.settings,
  };
  const table1 = all('table1');
  if (table1) merged.table1 = { eps: table1[0]!.eps, epsPixel: table1[0]!.epsPixel, rows: column(table1.map((t) => t.rows), 'Table 1 rows').map(mergeAccuracyRows), ...mergeStrongCw(table1) };
  const table3 = all('table3');
  if (table3) merged.table3 = { ...table3[0]!, rows: column(table3.map((t) => t.rows), 'Table 3 rows').map(mergeAccuracyRows) };
  const figure3 = all('figure3');
  if (figure3) merged.figure3 = { rows: column(figure3.map((f) => f.rows), 'Figure 3 rows').map(mergeAccuracyRows), ...mergeStrongCw(figure3) };
  const figure2 = all('figure2');
  if (figure2) {
    merged.figure2 = {
      ...figure2[0]!,
      merged: { shownSeed: first.metadata.seed, perSeed: figure2.map((result, i) => ({ seed: perSeed[i]!.metadata.seed, meanAbsShift: result.meanAbsShift })) },
    };
  }
  const figure4 = all('figure4');
  if (figure4) merged.figure4 = { rows: column(figure4.map((f) => f.rows), 'Figure 4 rows').map(mergeBatchSizeRows) };
  const figure6 = all('figure6');
  if (figure6) merged.figure6 = { rows: column(figure6.map((f) => f.rows), 'Figure 6 rows').map((rows) => ({ power: rows[0]!.power, row: mergeAccuracyRows(rows.map((r) => r.row)) })) };
  const figure7 = all('figure7');
  if (figure7) merged.figure7 = { rows: column(figure7.map((f) => f.rows), 'Figure 7 rows').map(mergeEpsRows) };
  const table4 = all('table4');
  if (table4) merged.table4 = { rows: column(table4.map((t) => t.rows), 'Table 4 rows').map(mergeGainRows) };
  const attackCheck = all('attackCheck');
  if (attackCheck) merged.attackCheck = { ...attackCheck[0]!, rows: column(attackCheck.map((a) => a.rows), 'attack-check rows').map(mergeCheckRows) };
  return merged;
}

/**
 * One attack-check row over seeds: every cell the mean over seeds of its
 * correct count, over one seed's images. Every seed attacks the same test
 * images, so adding their counts up would narrow the intervals as if they
 * were more images (as merged accuracy rows, the interval stays one seed's).
 */
function mergeCheckRows(rows: AttackCheckRow[]): AttackCheckRow {
  const add = (cells: Array<CheckCell | undefined>): CheckCell | undefined =>
    cells.every((cell) => cell !== undefined) ? { correct: cells.reduce((sum, cell) => sum + cell!.correct, 0) / cells.length, images: cells[0]!.images } : undefined;
  const first = rows[0]!;
  const cells: AttackCheckRow['cells'] = {};
  for (const column of Object.keys(first.cells) as CheckColumn[]) {
    const sum = add(rows.map((row) => row.cells[column]));
    if (sum !== undefined) cells[column] = sum;
  }
  return { ...first, clean: add(rows.map((row) => row.clean))!, cells };
}
