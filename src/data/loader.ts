/**
 * Mini-batches from a dataset: seeded shuffling, a batch size, and optional
 * random horizontal flips (the augmentation the paper's MNIST code used).
 */
import type { Random } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import type { Dataset } from './datasets.js';

/** One mini-batch: images [N, C, H, W] and their labels. */
export interface Batch {
  images: Tensor;
  labels: Uint8Array;
  /** Which samples of the dataset are in this batch. */
  indices: number[];
}

/** How {@link batches} cuts a dataset into batches. */
export interface BatchOptions {
  batchSize: number;
  /** Shuffle with this generator (no shuffling when omitted). */
  shuffle?: Random;
  /** Flip each image left–right with probability ½, drawing from this generator. */
  flip?: Random;
}

/** How many batches cover the dataset once: ⌈count / batchSize⌉. */
export function batchCount(data: Dataset, batchSize: number): number {
  return Math.ceil(data.count / batchSize);
}

/** Yields batches covering the dataset once; the last one may be smaller. */
export function* batches(data: Dataset, options: BatchOptions): Generator<Batch> {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  const order = options.shuffle ? options.shuffle.permutation(data.count) : Array.from({ length: data.count }, (_, i) => i);
  for (let start = 0; start < data.count; start += batchSize) yield batchOf(data, order.slice(start, start + batchSize), options.flip);
}

/** The samples `indices` of a dataset as one batch, each image flipped left–right with probability ½ when `flip` is given. */
export function batchOf(data: Dataset, indices: number[], flip?: Random): Batch {
  const pixels = data.channels * data.height * data.width;
  const images = new Float32Array(indices.length * pixels);
  indices.forEach((source, i) => {
    images.set(data.images.subarray(source * pixels, (source + 1) * pixels), i * pixels);
    if (flip && flip.uniform() < 0.5) flipHorizontally(images, i * pixels, data.channels, data.height, data.width);
  });
  return {
    images: new Tensor(images, [indices.length, data.channels, data.height, data.width]),
    labels: Uint8Array.from(indices.map((source) => data.labels[source] as number)),
    indices,
  };
}

function flipHorizontally(images: Float32Array, offset: number, channels: number, height: number, width: number): void {
  for (let row = 0; row < channels * height; row++) {
    const base = offset + row * width;
    for (let left = 0, right = width - 1; left < right; left++, right--) {
      const held = images[base + left] as number;
      images[base + left] = images[base + right] as number;
      images[base + right] = held;
    }
  }
}
