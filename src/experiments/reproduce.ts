/**
 * A whole reproduction: load the data, run the chosen experiments (training
 * each model they need once), and write OUT/results.json, the SVG figures and
 * OUT/report.md.
 *
 * Interrupted runs resume: models continue from their checkpoints in
 * OUT/models/, and an experiment already in OUT/results.json (written after
 * each experiment, with the same settings) is not run again.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../checkpoint/atomic-write.js';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { limitDataset, loadDataset } from '../data/datasets.js';
import { getBackend } from '../kernels/backend.js';
import { attackCheck } from './attack-check.js';
import { createContext, type ExperimentContext } from './context.js';
import { figure2 } from './figure2.js';
import { figure3 } from './figure3.js';
import { figure4 } from './figure4.js';
import { figure6 } from './figure6.js';
import { figure7 } from './figure7.js';
import { renderFigures } from './report-figures.js';
import { ModelStore, type TrainedModel } from './trained-models.js';
import { estimatePasses, RunProgress, trainingPasses } from './run-progress.js';
import type { StartProgress } from '../training/progress.js';
import { renderReport } from './report.js';
import { mergeSeeds } from './seeds.js';
import { estimateLine } from './estimate.js';
import type { ModelRecord, ReproductionResults, RunMetadata } from './results.js';
import { EXPERIMENTS, type ExperimentNumber, type ReproductionSettings } from './settings.js';
import { table1 } from './table1.js';
import { table3 } from './table3.js';
import { table4 } from './table4.js';
import { lockFolder } from '../training/run-folder.js';
import { resolvedSettings } from '../attacks/common.js';
import { epsToPixel } from '../attacks/units.js';

/** Where and how {@link runReproduction} writes its output. */
export interface ReproduceOptions {
  out: string;
  /** How the run was started, for the report. */
  command?: string;
  /** Progress bars for training epochs and experiment stages (default: none; the command line passes a terminal bar). */
  startProgress?: StartProgress;
  /** Lines of text about the run: the time estimate, each experiment, each trained epoch (default: none). */
  log?: (message: string) => void;
}

type ExperimentResults = Omit<ReproductionResults, 'metadata' | 'settings'>;

/** Runs experiment `number` and stores its result under its key. */
const STEPS: Record<ExperimentNumber, (context: ExperimentContext, into: ExperimentResults) => void> = {
  1: (context, into) => void (into.table1 = table1(context)),
  2: (context, into) => void (into.table3 = table3(context)),
  3: (context, into) => void (into.figure3 = figure3(context)),
  4: (context, into) => void (into.figure2 = figure2(context)),
  5: (context, into) => void (into.figure4 = figure4(context)),
  6: (context, into) => void (into.figure6 = figure6(context)),
  7: (context, into) => void (into.figure7 = figure7(context)),
  8: (context, into) => void (into.table4 = table4(context)),
  9: (context, into) => void (into.attackCheck = attackCheck(context)),
};

const RESULT_KEYS: Record<ExperimentNumber, keyof ExperimentResults> = {
  1: 'table1', 2: 'table3', 3: 'figure3', 4: 'figure2', 5: 'figure4', 6: 'figure6', 7: 'figure7', 8: 'table4', 9: 'attackCheck',
};

function versions(): RunMetadata['versions'] {
  const require = createRequire(import.meta.url);
  const version = (file: string) => (require(file) as { version: string }).version;
  return { robustnorm: version('../../package.json'), node: process.versions.node, gpujs: version('gpu.js/package.json') };
}


/** The numbers of the experiments in `results` and in `running`, in order. */
function experimentsHeld(results: ExperimentResults, running: readonly ExperimentNumber[]): ExperimentNumber[] {
  const held = (Object.keys(RESULT_KEYS).map(Number) as ExperimentNumber[]).filter((number) => results[RESULT_KEYS[number]] !== undefined);
  return [...new Set([...held, ...running])].sort((a, b) => a - b);
}

/** The settings that decide what a result means: all but which experiments to run. */
function resultSettings(settings: ReproductionSettings): Omit<ReproductionSettings, 'experiments'> {
  const { experiments: _experiments, ...rest } = settings;
  return rest;
}

/**
 * Results (and model records) of an earlier run in `out`, to resume from and
 * to merge with: a run of other experiments with the same settings adds its
 * experiments to the earlier ones. Results of other settings are never
 * mixed in or silently replaced: that is an error naming what differs.
 */
function earlierResults(file: string, settings: ReproductionSettings): { experiments: ExperimentResults; models: ModelRecord[]; metadata?: RunMetadata } {
  if (!existsSync(file)) return { experiments: {}, models: [] };
  let earlier: ReproductionResults;
  try {
    earlier = JSON.parse(readFileSync(file, 'utf8')) as ReproductionResults;
  } catch (error) {
    throw new Error(`${file} is not readable JSON (${(error as Error).message}); move it away to start this output folder afresh`);
  }
  const shapeProblem = resultsShapeProblem(earlier);
  if (shapeProblem !== undefined) throw new Error(`${file} is not a reproduction's results.json (${shapeProblem}); move it away to start this output folder afresh`);
  const before = resultSettings(earlier.settings) as Record<string, unknown>;
  const now = resultSettings(settings) as Record<string, unknown>;
  const differing = [...new Set([...Object.keys(before), ...Object.keys(now)])].filter((key) => JSON.stringify(before[key]) !== JSON.stringify(now[key]));
  if (differing.length > 0) {
    throw new Error(
      `${file} holds results of other settings (${differing.map((key) => `${key}: ${JSON.stringify(before[key])} there, ${JSON.stringify(now[key])} now`).join('; ')}); ` +
        'give another --out, or move that folder away to start afresh',
    );
  }
  const { metadata, settings: _settings, ...experiments } = earlier;
  return { experiments, models: metadata.models, metadata };
}

/** What is wrong with the shape of a parsed results.json (the parts resuming reads), or undefined. */
function resultsShapeProblem(value: unknown): string | undefined {
  const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isObject(value)) return `it holds ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}, not an object`;
  if (!isObject(value.settings)) return 'no "settings" object';
  if (!isObject(value.metadata)) return 'no "metadata" object';
  const models = value.metadata.models;
  if (!Array.isArray(models) || !models.every((model) => isObject(model) && typeof model.key === 'string')) return '"metadata.models" is not a list of model records';
  return undefined;
}

function modelRecord(trained: TrainedModel): ModelRecord {
  const last = trained.history.at(-1);
  return {
    key: trained.spec.key, label: trained.spec.label, epochs: trained.history.length,
    testAccuracy: last?.testAccuracy ?? Number.NaN, trainLoss: last?.trainLoss ?? Number.NaN,
    trainSeconds: trained.history.reduce((sum, epoch) => sum + epoch.seconds, 0), secondsPerStep: trained.secondsPerStep,
  };
}

/** Writes results.json, the SVG figures and report.md of `results` into `out`. */
async function writeOutputs(results: ReproductionResults, out: string): Promise<void> {
  writeFileAtomic(join(out, 'results.json'), JSON.stringify(results, null, 1));
  for (const [file, svg] of await renderFigures(results)) writeFileAtomic(join(out, file), svg);
  writeFileAtomic(join(out, 'report.md'), renderReport(results));
}

/**
 * Runs the experiments `settings` selects (training each model once, resuming from OUT), and writes
 * OUT/results.json, the SVG figures and OUT/report.md. With several `seeds`, runs them one after
 * another, each into OUT/seed-<n>/ (with its own report), and writes the merged results (seeds.ts) into OUT.
 */
export async function runReproduction(settings: ReproductionSettings, options: ReproduceOptions): Promise<ReproductionResults> {
  checkAttackSizes(settings);
  // one run at a time per output folder (a second is refused while the first runs)
  const release = lockFolder(options.out);
  try {
    return await reproduceUnlocked(settings, options);
  } finally {
    release();
  }
}

/** Throws, before any training, on an ε (paper units) that no attack of the run accepts. */
function checkAttackSizes(settings: ReproductionSettings): void {
  const sizes: Array<[string, number]> = [['eps', settings.eps], ['advEps', settings.advEps], ...settings.epsSweep.map((eps): [string, number] => ['epsSweep', eps])];
  for (const [name, eps] of sizes) {
    try {
      resolvedSettings({ eps: epsToPixel(eps, 'paper') });
    } catch (error) {
      throw new Error(`${name} ${eps} (paper units) cannot be used: ${(error as Error).message}`);
    }
  }
}

/**
 * The experiments of `settings` that a seed's folder does not hold yet: a
 * resumed run's estimate counts only those (a results.json that cannot be
 * read counts as empty here; the run itself then says what is wrong with it).
 */
function experimentsLeft(settings: ReproductionSettings, folder: string): ExperimentNumber[] {
  const file = join(folder, 'results.json');
  if (!existsSync(file)) return settings.experiments;
  try {
    const held = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    return settings.experiments.filter((number) => held[RESULT_KEYS[number]] === undefined);
  } catch {
    return settings.experiments;
  }
}

/** Where a seed's models live under OUT: models of other settings (another architecture, training set or seed) have their own folder. */
function modelFolder(settings: ReproductionSettings, out: string, trainImages: number, seed: number): string {
  return join(out, 'models', `${settings.model}-${settings.dataset}-${trainImages}-seed${seed}`);
}

/** The epochs each model's checkpoint in `folder` holds (the last epoch its metrics.jsonl records), by model key: what a resumed run does not train again. */
function epochsTrained(folder: string): Record<string, number> {
  const done: Record<string, number> = {};
  if (!existsSync(folder)) return done;
  for (const key of readdirSync(folder)) {
    const metrics = join(folder, key, 'metrics.jsonl');
    if (!existsSync(metrics)) continue;
    for (const line of readFileSync(metrics, 'utf8').split('\n')) {
      try {
        const epoch = (JSON.parse(line) as { epoch?: unknown }).epoch;
        if (typeof epoch === 'number') done[key] = Math.max(done[key] ?? 0, epoch);
      } catch {
        // a line cut short by a stopped run: not an epoch
      }
    }
  }
  return done;
}

async function reproduceUnlocked(settings: ReproductionSettings, options: ReproduceOptions): Promise<ReproductionResults> {
  const seeds = settings.seeds ?? [settings.seed];
  if (options.log) {
    const data = loadDataset(settings.dataset, settings.dataDir !== undefined ? { dataDir: settings.dataDir } : {});
    const trainImages = limitDataset(data.train, settings.trainLimit).count;
    const folders = seeds.map((seed) => (seeds.length <= 1 ? options.out : join(options.out, `seed-${seed}`)));
    const left = folders.map((folder) => experimentsLeft(settings, folder));
    const trained = folders.map((folder, i) => epochsTrained(modelFolder(settings, folder, trainImages, seeds[i] as number)));
    options.log(estimateLine(settings, trainImages, left, trained));
  }
  if (seeds.length <= 1) return runOneSeed({ ...settings, seed: seeds[0] ?? settings.seed }, options);
  const perSeed: ReproductionResults[] = [];
  for (const [i, seed] of seeds.entries()) {
    options.log?.(`\nseed ${seed} (${i + 1} of ${seeds.length})`);
    perSeed.push(await runOneSeed({ ...settings, seed, seeds: [seed] }, { ...options, out: join(options.out, `seed-${seed}`) }));
  }
  const merged = mergeSeeds(perSeed);
  merged.settings = settings;
  await writeOutputs(merged, options.out);
  return merged;
}

/** One seed's run: {@link runReproduction} for a single seed. */
async function runOneSeed(settings: ReproductionSettings, options: ReproduceOptions): Promise<ReproductionResults> {
  const startedAt = new Date();
  mkdirSync(options.out, { recursive: true });
  const resultsFile = join(options.out, 'results.json');
  const data = loadDataset(settings.dataset, settings.dataDir !== undefined ? { dataDir: settings.dataDir } : {});
  const train = limitDataset(data.train, settings.trainLimit);
  const test = limitDataset(data.test, settings.testLimit);
  const sweepTest = limitDataset(data.test, settings.sweepLimit);
  const progress = new RunProgress(estimatePasses(settings, train.count), options.startProgress, options.log);
  const earlier = earlierResults(resultsFile, settings);
  const experiments = earlier.experiments;
  const models: ModelRecord[] = earlier.models;
  const training = { ...(options.startProgress ? { startProgress: options.startProgress } : {}), ...(options.log ? { log: options.log } : {}) };
  const store = new ModelStore(settings, modelFolder(settings, options.out, train.count, settings.seed), training, (trained) => {
    const record = modelRecord(trained);
    const known = models.findIndex((model) => model.key === record.key);
    if (known >= 0) models[known] = record;
    else models.push(record);
    progress.complete(trainingPasses(settings, train.count, trained.spec.adversarial));
  });
  const context = createContext(settings, test, sweepTest, store, progress, join(options.out, 'rows.json'));

  const results = (): ReproductionResults => ({
    metadata: {
      preset: settings.preset, command: options.command ?? `robustnorm reproduce --preset ${settings.preset}`,
      // a resumed run adds its time to the earlier runs' (their startedAt is the run's start)
      startedAt: earlier.metadata?.startedAt ?? startedAt.toISOString(),
      wallSeconds: (earlier.metadata?.wallSeconds ?? 0) + progress.elapsedSeconds(),
      ...(earlier.metadata ? { runs: (earlier.metadata.runs ?? 1) + 1 } : {}),
      seed: settings.seed,
      backend: getBackend().name, versions: versions(),
      dataset: { name: settings.dataset, trainImages: train.count, testImages: test.count, sweepImages: sweepTest.count },
      model: settings.model, epochs: settings.epochs, models,
    },
    // the experiments this folder holds: the earlier runs' and this one's
    settings: { ...settings, experiments: experimentsHeld(experiments, settings.experiments) },
    ...experiments,
  });

  for (const number of settings.experiments) {
    if (experiments[RESULT_KEYS[number]] !== undefined) {
      progress.note(`experiment ${number} (${EXPERIMENTS[number]}): already in ${resultsFile}, not run again`);
      continue;
    }
    progress.note(`experiment ${number}: ${EXPERIMENTS[number]}`);
    STEPS[number](context, experiments);
    writeFileAtomic(resultsFile, JSON.stringify(results(), null, 1));
  }
  const final = results();
  await writeOutputs(final, options.out);
  return final;
}
