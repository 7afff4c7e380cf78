/**
 * The robustnorm command line (its commands, flags and actions; `main.ts`
 * starts it): `robustnorm <command> --help` for each command.
 */
import { createRequire } from 'node:module';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadCheckpoint } from '../checkpoint/checkpoint-file.js';
import { checkpointDataset, DATASET_NAMES, limitDataset, loadDataset, type DatasetName } from '../data/datasets.js';
import { BACKEND_NAMES, disposeBackends, setBackend } from '../kernels/backend.js';
import { MODEL_NAMES_HELP } from '../models/build.js';
import { NORM_KINDS } from '../nn/norm-factory.js';
import { NORM_STATISTICS, parseNormStatistics } from '../nn/norm-statistics.js';
import { evaluate } from '../training/train.js';
import { runTrain } from './train-command.js';
import { runAttackCommand } from './attack-command.js';
import { ATTACK_NAMES, parseAttackNames } from '../attacks/registry.js';
import type { NormStatistics } from '../nn/norm-statistics.js';
import { ATTACK_CHECK_SIZES, EXPERIMENT_NUMBERS, experimentName, PRESET_NAMES, parseExperimentList, type ExperimentNumber } from '../experiments/settings.js';
import { runReproduceCommand } from './reproduce-command.js';

function parseAttackList(value: string) {
  try {
    return parseAttackNames(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function parseStatisticsList(value: string): NormStatistics[] {
  try {
    return value.split(',').map((mode) => parseNormStatistics(mode.trim()));
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/**
 * A number written in decimal ("0.1", "-2", "5e-4"), or NaN: `Number()` alone
 * would also take "0x10" (16), "0b1", "Infinity", " 3 " and "" (0).
 */
function decimal(value: string): number {
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value) ? Number(value) : Number.NaN;
}

function positiveInteger(value: string): number {
  const parsed = decimal(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('expected a positive integer');
  return parsed;
}

function nonNegativeInteger(value: string): number {
  const parsed = decimal(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return parsed;
}

function nonNegativeNumber(value: string): number {
  const parsed = decimal(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError('expected a non-negative number (decimal, such as 0.1 or 5e-4)');
  return parsed;
}

function positiveNumber(value: string): number {
  const parsed = decimal(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a positive number (decimal, such as 0.2)');
  return parsed;
}

function integerList(value: string): number[] {
  if (value.trim() === '') return [];
  return value.split(',').map((part) => nonNegativeInteger(part.trim()));
}

function seedList(value: string): number[] {
  const seeds = integerList(value);
  if (seeds.length === 0) throw new InvalidArgumentError('expected at least one seed, e.g. 0,1,2');
  if (new Set(seeds).size !== seeds.length) throw new InvalidArgumentError(`a seed is listed twice in "${value}"`);
  return seeds;
}

function experimentList(value: string): ExperimentNumber[] {
  try {
    return parseExperimentList(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function choice<T extends string>(values: readonly T[], parse: (value: string) => T) {
  return (value: string): T => {
    try {
      return parse(value);
    } catch {
      throw new InvalidArgumentError(`choose one of ${values.join(', ')}`);
    }
  };
}

function applyBackend(name: string | undefined): void {
  if (name !== undefined) setBackend(name);
}

const program = new Command();
program
  .name('robustnorm')
  .description('Train, attack and evaluate networks with BatchNorm, RobustNorm, LayerNorm or no norm (a reproduction of "Towards an Adversarially Robust Normalization Approach").')
  .showHelpAfterError()
  .version((createRequire(import.meta.url)('../../package.json') as { version: string }).version, '-V, --version', 'print the version')
  .addOption(new Option('--backend <name>', 'kernel backend (default: ROBUSTNORM_BACKEND or auto)').choices(['auto', ...BACKEND_NAMES]));

program
  .command('train')
  .description('train a model; writes OUT/checkpoint.safetensors and OUT/metrics.jsonl')
  .addOption(new Option('--dataset <name>', 'dataset').choices(DATASET_NAMES).default('mnist'))
  .option('--data-dir <dir>', 'folder with IDX files (fashion-mnist, mnist-full)')
  .option('--model <name>', `model: ${MODEL_NAMES_HELP}`, 'small-cnn')
  .addOption(new Option('--norm <kind>', 'normalization').choices(NORM_KINDS).default('bn'))
  .option('--power <p>', "RobustNorm's power p", positiveNumber, 0.2)
  .option('--epochs <n>', 'epochs', positiveInteger, 3)
  .option('--batch-size <n>', 'batch size', positiveInteger, 128)
  .option('--lr <rate>', 'learning rate', nonNegativeNumber, 0.1)
  .option('--momentum <m>', 'SGD momentum', nonNegativeNumber, 0.9)
  .option('--weight-decay <l>', 'weight decay', nonNegativeNumber, 1e-4)
  .option('--nesterov', 'Nesterov momentum', false)
  .option('--milestones <epochs>', 'comma-separated epochs at which lr is multiplied by gamma', integerList, [30])
  .option('--gamma <g>', 'learning-rate factor at each milestone', nonNegativeNumber, 0.1)
  .option('--seed <n>', 'seed for initialization, shuffling and flips', nonNegativeInteger, 0)
  .option('--limit <n>', 'train on the first N training images', positiveInteger)
  .option('--test-limit <n>', 'test on the first N test images', positiveInteger)
  .option('--flip', 'random horizontal flips (the paper code\'s augmentation)', false)
  .option('--out <dir>', 'output folder', 'runs/train')
  .option('--save-every-epoch', 'also keep OUT/epoch-N.safetensors', false)
  .option('--resume', 'continue from OUT/checkpoint.safetensors (with the settings it was trained with; --epochs may grow)', false)
  .option('--force', 'start over in an OUT that holds a run, or resume with other settings', false)
  .addOption(new Option('--adversarial <attack>', "train on adversarial examples (Madry et al.'s PGD, as the paper)").choices(['pgd']))
  .option('--adv-eps <eps>', "ε of the training attack, in --eps-units (the paper's code: 0.03)", nonNegativeNumber, 0.03)
  .option('--adv-eps-iter <step>', 'step of the training attack, in --eps-units (default ε/4)', positiveNumber)
  .option('--adv-iter <n>', 'iterations of the training attack', positiveInteger, 10)
  .addOption(new Option('--eps-units <units>', "units of ε: the paper's normalized units, or pixels in [0, 1]").choices(['paper', 'pixel']).default('paper'))
  .action((options) => {
    applyBackend(program.opts().backend);
    runTrain({ ...options, dataset: options.dataset as DatasetName });
  });

program
  .command('eval')
  .description('clean test accuracy of a checkpoint')
  .requiredOption('--checkpoint <path>', 'a checkpoint written by `robustnorm train`')
  .addOption(new Option('--stats <mode>', 'inference statistics of the norm layers').choices(NORM_STATISTICS).default('population'))
  .addOption(new Option('--dataset <name>', 'dataset (default: the one the checkpoint was trained on)').choices(DATASET_NAMES))
  .option('--data-dir <dir>', 'folder with IDX files')
  .option('--batch-size <n>', 'inference batch size', positiveInteger, 128)
  .option('--limit <n>', 'evaluate on the first N test images', positiveInteger)
  .option('--json', 'print JSON', false)
  .action((options) => {
    applyBackend(program.opts().backend);
    const { model, metadata } = loadCheckpoint(options.checkpoint);
    const chosen = checkpointDataset(metadata.training, options);
    const datasetName = chosen.name;
    const test = limitDataset(loadDataset(datasetName, chosen.dataDir !== undefined ? { dataDir: chosen.dataDir } : {}).test, options.limit);
    const statistics = parseNormStatistics(options.stats);
    const accuracy = evaluate(model, test, { batchSize: options.batchSize, statistics });
    const result = { checkpoint: options.checkpoint, dataset: datasetName, source: test.source, images: test.count, statistics, batchSize: options.batchSize, accuracy };
    console.log(options.json ? JSON.stringify(result) : `${(100 * accuracy).toFixed(2)}% clean accuracy on ${test.count} ${datasetName} test images from ${test.source} (${statistics} statistics, batch ${options.batchSize})`);
  });

program
  .command('attack')
  .description('accuracy of a checkpoint under FGSM, BIM, PGD, MIM and Carlini–Wagner attacks')
  .requiredOption('--checkpoint <path>', 'a checkpoint written by `robustnorm train`')
  .option('--attack <names>', `${ATTACK_NAMES.join('|')}|all, or a comma-separated list`, parseAttackList, [...ATTACK_NAMES])
  .option('--eps <eps>', 'ε of the L∞ attacks (in --eps-units)', nonNegativeNumber, 0.2)
  .addOption(new Option('--eps-units <units>', "units of ε: the paper's normalized units (ε_pixel = 0.3081·ε_paper), or pixels").choices(['paper', 'pixel']).default('paper'))
  .option('--stats <modes>', `inference statistics, comma-separated: ${NORM_STATISTICS.join(', ')}`, parseStatisticsList, ['population', 'batch'] as NormStatistics[])
  .addOption(new Option('--dataset <name>', 'dataset (default: the one the checkpoint was trained on)').choices(DATASET_NAMES))
  .option('--data-dir <dir>', 'folder with IDX files')
  .option('--limit <n>', 'attack the first N test images', positiveInteger)
  .option('--batch-size <n>', 'attack batch size', positiveInteger, 128)
  .option('--seed <n>', "seed for PGD's random starts", nonNegativeInteger, 0)
  .option('--cw-const <c>', "Carlini–Wagner's initial c (the paper: 10 for MNIST/Fashion-MNIST)", positiveNumber, 10)
  .option('--json', 'print JSON', false)
  .option('--save-examples <file.png>', 'write a PNG grid of clean images, perturbations and adversarial images')
  .option('--force', 'replace an existing --save-examples file', false)
  .action((options) => {
    applyBackend(program.opts().backend);
    runAttackCommand({ ...options, attacks: options.attack, statistics: options.stats });
  });

program
  .command('reproduce')
  .description("run the paper's experiments and write reports/<preset>/report.md with tables and figures beside the paper's numbers")
  .addOption(new Option('--preset <name>', 'quick (≈15 min, embedded MNIST), smoke (≈1 min, for CI), mnist, fashion-mnist (full, long)').choices(PRESET_NAMES).default('quick'))
  .option('--out <dir>', 'output folder (default reports/<preset>)')
  .option('--data-dir <dir>', 'folder with IDX files (fashion-mnist, mnist-full)')
  .option('--model <name>', `model: ${MODEL_NAMES_HELP}`)
  .option('--epochs <n>', 'training epochs of every model', positiveInteger)
  .option('--train-limit <n>', 'train on the first N training images', positiveInteger)
  .option('--test-limit <n>', 'attack the first N test images in the tables', positiveInteger)
  .option('--sweep-limit <n>', 'attack the first N test images in the sweeps (figures 4, 6, 7)', positiveInteger)
  .option('--eps <eps>', "ε in the paper's normalized units (ε_pixel = 0.3081·ε)", positiveNumber)
  .option('--experiments <list>', `comma-separated experiments, by name or number: ${EXPERIMENT_NUMBERS.map((n) => `${experimentName(n)} (${n})`).join(', ')}`, experimentList)
  .addOption(new Option('--attack-check <size>', 'size of experiment 9, "statistics or a weaker attack?": quick (BN (B) and RN, PGD-100, 128 images), compact (BN (B), RN and RN frozen, PGD-100 and -500, 128 images, one-in-128 on 16, half batches, batch 1), full (every mode, PGD-100 and -500, 256 images, half batches, batch 1), paper (1,000 images, 2 restarts)').choices(Object.keys(ATTACK_CHECK_SIZES)))
  .option('--seed <n>', 'seed for everything random', nonNegativeInteger)
  .option('--seeds <list>', 'comma-separated seeds: train and attack once per seed (into OUT/seed-<n>/) and report mean ± spread', seedList)
  .action(async (options) => {
    applyBackend(program.opts().backend);
    await runReproduceCommand(options, `robustnorm ${process.argv.slice(2).join(' ')}`);
  });

try {
  await program.parseAsync();
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  disposeBackends();
}
