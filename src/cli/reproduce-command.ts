/**
 * `robustnorm reproduce`: runs a preset of the paper's experiments (flags
 * override any of its settings) and writes reports/<preset>/report.md,
 * results.json and the SVG figures.
 */
import { join } from 'node:path';
import { runReproduction } from '../experiments/reproduce.js';
import { ATTACK_CHECK_SIZES, experimentName, presetSettings, type ExperimentNumber, type ReproductionSettings } from '../experiments/settings.js';
import { formatDuration } from '../experiments/run-progress.js';
import { startProgress } from './progress-bar.js';

export interface ReproduceCommandOptions {
  preset: string;
  out?: string;
  dataDir?: string;
  model?: string;
  epochs?: number;
  trainLimit?: number;
  testLimit?: number;
  sweepLimit?: number;
  eps?: number;
  experiments?: ExperimentNumber[];
  /** Experiment 9's size by name (settings.ts's ATTACK_CHECK_SIZES). */
  attackCheck?: keyof typeof ATTACK_CHECK_SIZES;
  seed?: number;
  seeds?: number[];
}

/** The preset's settings with the flags that were given laid over them. */
export function reproductionSettings(options: ReproduceCommandOptions): ReproductionSettings {
  const settings = presetSettings(options.preset);
  const overrides: Partial<ReproductionSettings> = {
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    ...(options.model !== undefined ? { model: options.model } : {}),
    ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
    ...(options.trainLimit !== undefined ? { trainLimit: options.trainLimit } : {}),
    ...(options.testLimit !== undefined ? { testLimit: options.testLimit } : {}),
    ...(options.sweepLimit !== undefined ? { sweepLimit: options.sweepLimit } : {}),
    ...(options.eps !== undefined ? { eps: options.eps, advEps: options.eps } : {}),
    ...(options.experiments !== undefined ? { experiments: options.experiments } : {}),
    ...(options.attackCheck !== undefined ? { attackCheck: structuredClone(ATTACK_CHECK_SIZES[options.attackCheck]) } : {}),
    ...(options.seed !== undefined ? { seed: options.seed, seeds: [options.seed] } : {}),
    ...(options.seeds !== undefined ? { seed: options.seeds[0] as number, seeds: options.seeds } : {}),
  };
  if (options.seed !== undefined && options.seeds !== undefined) throw new Error('reproduce: give --seed or --seeds, not both');
  return { ...settings, ...overrides };
}

export async function runReproduceCommand(options: ReproduceCommandOptions, command: string): Promise<void> {
  const settings = reproductionSettings(options);
  const out = options.out ?? join('reports', settings.preset);
  process.stderr.write(`reproducing the paper, preset "${settings.preset}": ${settings.model} on ${settings.dataset}, experiments ${settings.experiments.map(experimentName).join(', ')}; writing to ${out}\n`);
  const results = await runReproduction(settings, { out, command, startProgress, log: (message) => process.stderr.write(`${message}\n`) });
  console.log(`\nreport: ${join(out, 'report.md')} (${formatDuration(results.metadata.wallSeconds)}; numbers in ${join(out, 'results.json')})`);
}
