/**
 * `robustnorm attack`: accuracy of a checkpoint under attack, per attack and
 * per statistics mode, as a table (or JSON), with a progress bar, and
 * optionally a PNG of adversarial examples.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadCheckpoint } from '../checkpoint/checkpoint-file.js';
import { evaluateRobustness, type RobustnessResult } from '../attacks/evaluate.js';
import { runAttack, type AttackConfig, type AttackName } from '../attacks/registry.js';
import { epsToPaper, epsToPixel, type EpsUnits } from '../attacks/units.js';
import { batches } from '../data/loader.js';
import { checkpointDataset, limitDataset, loadDataset, type Dataset } from '../data/datasets.js';
import type { Module } from '../nn/module.js';
import type { NormStatistics } from '../nn/norm-statistics.js';
import { Random } from '../random.js';
import { noGrad } from '../tensor/autograd.js';
import type { Tensor } from '../tensor/tensor.js';
import { writeExampleGrid } from './example-grid.js';
import { startProgress } from './progress-bar.js';
import { argmaxRows } from '../ops/reduce.js';

export interface AttackCommandOptions {
  checkpoint: string;
  attacks: AttackName[];
  eps: number;
  epsUnits: EpsUnits;
  statistics: NormStatistics[];
  dataset?: string;
  dataDir?: string;
  limit?: number;
  batchSize: number;
  seed: number;
  cwConst: number;
  json: boolean;
  saveExamples?: string;
  /** Replace an existing `saveExamples` file. */
  force?: boolean;
}

/** How many examples the PNG shows. */
const EXAMPLES_SHOWN = 12;

function evaluateAll(model: Module, test: Dataset, options: AttackCommandOptions, config: AttackConfig): RobustnessResult[] {
  return options.statistics.map((statistics) => {
    const bar = startProgress(`${statistics} statistics`, Math.ceil(test.count / options.batchSize) * options.attacks.length);
    let done = 0;
    const result = evaluateRobustness(model, test, {
      ...config, attacks: options.attacks, statistics, batchSize: options.batchSize, seed: options.seed,
      onBatch: (_, __, attack) => {
        if (attack !== 'clean') bar.update(++done, { unit: 'attack batches', status: attack });
      },
    });
    bar.stop();
    return result;
  });
}

/** Attacks the first batch (PGD if asked for, else the first attack) and draws clean / perturbation / adversarial columns. */
/** Throws before any work if `--save-examples` cannot be written as a PNG: not `.png`, a folder, or in a missing folder. */
function checkExamplesPath(file: string, force: boolean): void {
  if (!file.toLowerCase().endsWith('.png')) throw new Error(`--save-examples ${file}: give a file name ending in .png`);
  if (existsSync(file) && statSync(file).isDirectory()) throw new Error(`--save-examples ${file}: is a folder`);
  if (existsSync(file) && !force) throw new Error(`--save-examples ${file}: the file exists; pass --force to replace it, or give another name`);
  if (!existsSync(dirname(resolve(file)))) throw new Error(`--save-examples ${file}: the folder ${dirname(resolve(file))} does not exist`);
}

function saveExamples(file: string, model: Module, test: Dataset, options: AttackCommandOptions, config: AttackConfig): void {
  model.eval();
  model.setNormStatistics(options.statistics[0] ?? 'population');
  const first = batches(test, { batchSize: Math.min(options.batchSize, test.count) }).next().value;
  if (!first) return;
  const attack = options.attacks.includes('pgd') ? 'pgd' : (options.attacks[0] as AttackName);
  const adversarial = runAttack(attack, model, first.images, first.labels, config, new Random(options.seed));
  const cleanPredictions = argmaxRows(noGrad(() => model.forward(first.images)));
  const adversarialPredictions = argmaxRows(noGrad(() => model.forward(adversarial)));
  const perImage = first.images.size / first.labels.length;
  const image = (tensor: Tensor, i: number) => tensor.data.slice(i * perImage, (i + 1) * perImage) as Float32Array;
  const columns = Array.from({ length: Math.min(EXAMPLES_SHOWN, first.labels.length) }, (_, i) => ({
    clean: image(first.images, i), adversarial: image(adversarial, i), label: first.labels[i] as number,
    cleanPrediction: cleanPredictions[i] as number, adversarialPrediction: adversarialPredictions[i] as number,
  }));
  writeExampleGrid(file, columns, config.eps, [test.height, test.width]);
  process.stderr.write(`wrote ${file} (${attack}, ${options.statistics[0]} statistics: rows are clean, perturbation, adversarial; labels are predictions, red when wrong)\n`);
}

function printTable(results: readonly RobustnessResult[], attacks: readonly AttackName[], epsPaper: number, epsPixel: number): void {
  const percent = (value: number) => `${(100 * value).toFixed(1)}%`;
  const header = ['statistics', 'clean', ...attacks.map((name) => name.toUpperCase())];
  const rows = results.map((result) => [result.statistics, percent(result.cleanAccuracy), ...result.attacks.map((a) => percent(a.accuracy))]);
  const timeRows = results.map((result) => [`s/1000 (${result.statistics})`, '', ...result.attacks.map((a) => a.secondsPer1000.toFixed(1))]);
  const all = [header, ...rows, ...timeRows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padStart(widths[i] ?? 0)).join('  ');
  console.log(`accuracy on ${results[0]?.images ?? 0} images under L∞ attacks with ε = ${epsPaper.toFixed(4)} (paper units) = ${epsPixel.toFixed(4)} (pixels)`);
  for (const row of all) console.log(line(row));
}

export function runAttackCommand(options: AttackCommandOptions): RobustnessResult[] {
  if (options.saveExamples) checkExamplesPath(options.saveExamples, options.force === true);
  const { model, metadata } = loadCheckpoint(options.checkpoint);
  const chosen = checkpointDataset(metadata.training, options);
  const datasetName = chosen.name;
  const test = limitDataset(loadDataset(datasetName, chosen.dataDir !== undefined ? { dataDir: chosen.dataDir } : {}).test, options.limit);
  // Both units, always: ε_pixel = 0.3081 · ε_paper.
  const epsPixel = epsToPixel(options.eps, options.epsUnits);
  const epsPaper = options.epsUnits === 'paper' ? options.eps : epsToPaper(options.eps);
  const config: AttackConfig = { eps: epsPixel, cw: { initialConst: options.cwConst } };
  process.stderr.write(`attacking ${metadata.model.architecture} (${metadata.model.norm.kind}) on ${test.count} ${datasetName} test images from ${test.source}: ε = ${epsPaper.toFixed(4)} (paper units) = ${epsPixel.toFixed(4)} (pixels)\n`);

  const results = evaluateAll(model, test, options, config);
  // the results first: a failing write must not lose them
  if (options.json) console.log(JSON.stringify({ checkpoint: options.checkpoint, dataset: datasetName, epsPaper, epsPixel, results }, null, 2));
  else printTable(results, options.attacks, epsPaper, epsPixel);
  if (options.saveExamples) saveExamples(options.saveExamples, model, test, options, config);
  return results;
}
