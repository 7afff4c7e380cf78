/**
 * `npm run paired-training`: does a training run here end where the same run
 * in PyTorch ends? For each seed, smallCnn with BatchNorm is trained with the
 * `train` command's recipe (SGD lr 0.1, momentum 0.9, weight decay 1e-4,
 * batch 128) on the embedded MNIST split, here and in PyTorch, from the same
 * starting weights and the same batch order, and both test accuracies are
 * printed side by side.
 *
 *   npm run paired-training                       seeds 0–4, 3 epochs
 *   npm run paired-training -- --seeds 0,1 --epochs 1
 *
 * The two runs start identically, and one step agrees to about 1e-6
 * (test/pytorch-parity.test.ts), but float rounding differs (summation order,
 * fused operations), and over hundreds of steps at lr 0.1 the two
 * trajectories drift apart: the paired difference of one seed is noise, their
 * mean over seeds is the comparison. Needs Debian's python3-torch; the library
 * itself never does. About 2 minutes per seed here plus 20 s in PyTorch.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeSafetensors } from '../src/checkpoint/safetensors.js';
import { loadDataset } from '../src/data/datasets.js';
import { buildModel, modelConfig } from '../src/models/build.js';
import { SGD } from '../src/optim/sgd.js';
import { epochGenerators, evaluate, trainEpoch } from '../src/training/train.js';
import { requireTorch, runPythonJson } from './python.js';

const usage = 'usage: npm run paired-training -- [--seeds 0,1,2,3,4] [--epochs 3]';
const RECIPE = { lr: 0.1, momentum: 0.9, weightDecay: 1e-4, batchSize: 128 };

function parseFlags(): { seeds: number[]; epochs: number } {
  try {
    const { values } = parseArgs({ options: { seeds: { type: 'string', default: '0,1,2,3,4' }, epochs: { type: 'string', default: '3' }, help: { type: 'boolean', default: false } } });
    if (values.help) {
      console.log(usage);
      process.exit(0);
    }
    const seeds = values.seeds.split(',').map((part) => (part.trim() === '' ? NaN : Number(part)));
    const epochs = Number(values.epochs);
    if (seeds.some((seed) => !Number.isInteger(seed) || seed < 0)) throw new Error(`--seeds takes non-negative integers, got "${values.seeds}"`);
    if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs takes a positive integer, got "${values.epochs}"`);
    return { seeds, epochs };
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
}

/** The order in which trainEpoch visits the samples in `epoch` (what `batches` does with its shuffle generator). */
function batchOrder(seed: number, epoch: number, count: number): number[] {
  return epochGenerators(seed, epoch).shuffle.permutation(count);
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function standardDeviation(values: number[]): number {
  const centre = mean(values);
  return Math.sqrt(values.reduce((sum, value) => sum + (value - centre) ** 2, 0) / (values.length - 1));
}

async function main(): Promise<void> {
  const { seeds, epochs } = parseFlags();
  requireTorch('paired-training');
  const { train, test } = loadDataset('mnist');
  const folder = mkdtempSync(join(tmpdir(), 'robustnorm-paired-'));
  const ours: number[] = [];
  try {
    writeFileSync(join(folder, 'train-images.f32'), train.images);
    writeFileSync(join(folder, 'train-labels.u8'), train.labels);
    writeFileSync(join(folder, 'test-images.f32'), test.images);
    writeFileSync(join(folder, 'test-labels.u8'), test.labels);
    for (const seed of seeds) {
      const model = buildModel(modelConfig('small-cnn', 'bn'), seed);
      writeFileSync(join(folder, `start-${seed}.safetensors`), encodeSafetensors(model.stateDict(), {}));
      const orders = Array.from({ length: epochs }, (_, epoch) => batchOrder(seed, epoch, train.count));
      writeFileSync(join(folder, `order-${seed}.json`), JSON.stringify(orders));
      const optimizer = new SGD(model.parameters(), { lr: RECIPE.lr, momentum: RECIPE.momentum, weightDecay: RECIPE.weightDecay });
      for (let epoch = 0; epoch < epochs; epoch++) {
        trainEpoch(model, optimizer, train, { batchSize: RECIPE.batchSize, seed, epoch, flip: false });
        process.stderr.write(`  seed ${seed}: epoch ${epoch + 1}/${epochs} done here\n`);
      }
      ours.push(100 * evaluate(model, test, { batchSize: 500 }));
    }
    process.stderr.write('  running bench/paired-training.py (PyTorch) from the same starts…\n');
    const theirs = runPythonJson('paired-training.py', [folder, seeds.join(','), JSON.stringify(RECIPE)]) as number[];
    report(seeds, epochs, ours, theirs);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function report(seeds: number[], epochs: number, ours: number[], theirs: number[]): void {
  const differences = ours.map((accuracy, i) => accuracy - (theirs[i] as number));
  const line = (cells: string[]) => console.log(`| ${cells.join(' | ')} |`);
  console.log(`smallCnn + BatchNorm, ${epochs} epoch(s) on the embedded MNIST split, test accuracy (%) from identical starts:\n`);
  line(['seed', 'robustnorm', 'PyTorch', 'difference']);
  line(['---', '---', '---', '---']);
  seeds.forEach((seed, i) => line([String(seed), (ours[i] as number).toFixed(2), (theirs[i] as number).toFixed(2), differences[i]!.toFixed(2)]));
  line(['mean', mean(ours).toFixed(2), mean(theirs).toFixed(2), mean(differences).toFixed(2)]);
  if (seeds.length > 1) line(['std. dev.', standardDeviation(ours).toFixed(2), standardDeviation(theirs).toFixed(2), standardDeviation(differences).toFixed(2)]);
}

await main();
