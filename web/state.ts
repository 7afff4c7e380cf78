/**
 * What the panels share: the digits, the two models (one with BatchNorm, one
 * with RobustNorm) and small helpers to turn digits into tensors and logits
 * into probabilities.
 */
import { batchOf, batches, buildModel, logSoftmax, modelConfig, noGrad, reuseBuffers, SGD, type Module, type ModelConfig, type Batch, type NormStatistics, type Tensor, ops } from '../src/browser.js';
import type { Dataset } from '../src/index.js';
const { exp } = ops;

/** Which model: the BatchNorm one or the RobustNorm one. */
export type Slot = 'bn' | 'rn';

/** A model the page holds, with its optimizer and where it came from. */
export interface ModelEntry {
  config: ModelConfig;
  model: Module;
  optimizer: SGD;
  steps: number;
  /** The training epoch it is in (from 0), and what is left of that epoch's batches. */
  epoch: number;
  batches: Iterator<Batch>;
  /** Where it came from: "untrained", "pretrained (…)" or a checkpoint's file name; `describe` adds the steps trained here. */
  origin: string;
  /** True for the shipped pretrained model, which Train replaces (visibly) by a fresh one. */
  pretrained?: boolean;
}

/** "small-cnn, mnist-bn.safetensors, +120 steps here". */
export function describeEntry(entry: ModelEntry): string {
  if (entry.origin === 'untrained') return `${entry.config.architecture}, ${entry.steps === 0 ? 'untrained' : `trained here, ${entry.steps} steps`}`;
  return `${entry.config.architecture}, ${entry.origin}${entry.steps === 0 ? '' : `, +${entry.steps} steps here`}`;
}

/** Below this share of test digits right, a model is flagged as untrained. */
export const UNTRAINED_BELOW = 0.5;
/** How many test digits (the first ones) measure a model's accuracy for that flag: four whole batches of 128, the attack's kernel shapes. */
export const ACCURACY_DIGITS = 512;
const accuracies = new WeakMap<ModelEntry, Map<string, number>>();

/** The share of the first ACCURACY_DIGITS test digits `entry` classifies right with `statistics` (batches of 128, cached until it trains). */
export function testAccuracy(entry: ModelEntry, statistics: NormStatistics): number {
  const key = `${statistics} ${entry.steps}`;
  let cache = accuracies.get(entry);
  if (cache === undefined) accuracies.set(entry, (cache = new Map()));
  const known = cache.get(key);
  if (known !== undefined) return known;
  const test = digits().test;
  const count = Math.min(ACCURACY_DIGITS, test.count);
  let correct = 0;
  for (let first = 0; first < count; first += 128) {
    const indices = Array.from({ length: Math.min(128, count - first) }, (_, i) => first + i);
    const logits = logitsOf(entry.model, batchOf(test, indices).images, statistics);
    indices.forEach((index, row) => {
      let best = 0;
      for (let c = 1; c < 10; c++) if ((logits[10 * row + c] as number) > (logits[10 * row + best] as number)) best = c;
      if (best === test.labels[index]) correct++;
    });
  }
  cache.set(key, correct / count);
  return correct / count;
}

/** The page's settings for SGD (as the CLI's defaults, with a smaller batch for a responsive page). */
export const TRAINING = { batchSize: 64, lr: 0.05, momentum: 0.9, weightDecay: 1e-4 };

export const state = {
  digits: null as { train: Dataset; test: Dataset } | null,
  models: new Map<Slot, ModelEntry>(),
};

/** A fresh model for `slot`, initialized from `seed`. */
export function freshModel(architecture: string, slot: Slot, seed: number): ModelEntry {
  return adopt(buildModel(modelConfig(architecture, slot), seed), modelConfig(architecture, slot), 'untrained');
}

/** Wraps a model (new, or loaded from a checkpoint) with an optimizer. */
export function adopt(model: Module, config: ModelConfig, origin: string): ModelEntry {
  const optimizer = new SGD(model.parameters(), { lr: TRAINING.lr, momentum: TRAINING.momentum, weightDecay: TRAINING.weightDecay });
  // no batches yet: the first step starts epoch 0 (epoch −1 ends at once)
  return { config, model, optimizer, steps: 0, origin, epoch: -1, batches: [][Symbol.iterator]() };
}

/** The model in `slot`, made (small-cnn, seed 0) if there is none yet. */
export function modelIn(slot: Slot): ModelEntry {
  let entry = state.models.get(slot);
  if (entry === undefined) {
    entry = freshModel('small-cnn', slot, 0);
    state.models.set(slot, entry);
  }
  return entry;
}

export function digits(): { train: Dataset; test: Dataset } {
  if (state.digits === null) throw new Error('the digits have not loaded yet');
  return state.digits;
}

/** The model's logits for `images` in inference mode with `statistics` (rows of 10). */
export function logitsOf(model: Module, images: Tensor, statistics: NormStatistics): Float32Array {
  model.eval();
  model.setNormStatistics(statistics);
  return reuseBuffers(() => noGrad(() => Float32Array.from(model.forward(images).data)));
}

/** Class probabilities (softmax of the logits, through the library's logSoftmax) of the first image of `images`. */
export function firstImageProbabilities(model: Module, images: Tensor, statistics: NormStatistics): number[] {
  model.eval();
  model.setNormStatistics(statistics);
  return reuseBuffers(() => noGrad(() => Array.from(exp(logSoftmax(model.forward(images))).data.subarray(0, 10))));
}

/**
 * Marks a moment of the page's start on its performance timeline
 * (`performance.getEntriesByType('mark')`), where the first-screen test reads
 * where the time goes. `at` is an absolute time (timeOrigin + now, e.g. from
 * the worker, whose clock starts elsewhere).
 */
export function mark(name: string, at?: number): void {
  if (typeof performance === 'undefined' || typeof performance.mark !== 'function') return;
  performance.mark(name, at === undefined ? undefined : { startTime: at - performance.timeOrigin });
}

/** Now, as an absolute time that another thread's `mark` can place on its own timeline. */
export function absoluteNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Yields to the browser so the page stays responsive between steps. */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Resolves after the browser has painted what the page just changed (a frame, then a task), so that work after it does not hold the paint back. */
export function afterPaint(): Promise<void> {
  if (typeof requestAnimationFrame === 'undefined') return nextFrame();
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

/** A small element helper: tag, attributes, children. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** Draws a 28×28 image (values in [lo, hi]) into a canvas. */
export function drawDigit(canvas: HTMLCanvasElement, pixels: ArrayLike<number>, lo = 0, hi = 1): void {
  canvas.width = 28;
  canvas.height = 28;
  const context = canvas.getContext('2d') as CanvasRenderingContext2D;
  const image = context.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const level = Math.round((255 * ((pixels[i] as number) - lo)) / (hi - lo));
    image.data.set([level, level, level, 255], 4 * i);
  }
  context.putImageData(image, 0, 0);
}
