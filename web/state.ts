/**
 * What the panels share: the digits, the two models (one with BatchNorm, one
 * with RobustNorm) and small helpers to turn digits into tensors and logits
 * into probabilities.
 */
import { buildModel, modelConfig, noGrad, reuseBuffers, SGD, Tensor, type Module, type ModelConfig, type NormStatistics } from '../src/browser.js';
import type { Digits } from './digits.js';

/** Which model: the BatchNorm one or the RobustNorm one. */
export type Slot = 'bn' | 'rn';

/** A model the page holds, with its optimizer and where it came from. */
export interface ModelEntry {
  config: ModelConfig;
  model: Module;
  optimizer: SGD;
  steps: number;
  /** "trained here, N steps" or the checkpoint's file name. */
  origin: string;
}

/** The page's settings for SGD (as the CLI's defaults, with a smaller batch for a responsive page). */
export const TRAINING = { batchSize: 64, lr: 0.05, momentum: 0.9, weightDecay: 1e-4 };

export const state = {
  digits: null as { train: Digits; test: Digits } | null,
  models: new Map<Slot, ModelEntry>(),
};

/** A fresh model for `slot`, initialized from `seed`. */
export function freshModel(architecture: string, slot: Slot, seed: number): ModelEntry {
  return adopt(buildModel(modelConfig(architecture, slot), seed), modelConfig(architecture, slot), 'untrained');
}

/** Wraps a model (new, or loaded from a checkpoint) with an optimizer. */
export function adopt(model: Module, config: ModelConfig, origin: string): ModelEntry {
  const optimizer = new SGD(model.parameters(), { lr: TRAINING.lr, momentum: TRAINING.momentum, weightDecay: TRAINING.weightDecay });
  return { config, model, optimizer, steps: 0, origin };
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

export function digits(): { train: Digits; test: Digits } {
  if (state.digits === null) throw new Error('the digits have not loaded yet');
  return state.digits;
}

/** Digits `indices` of a split as a [n, 1, 28, 28] tensor, with their labels. */
export function batchOf(split: Digits, indices: number[]): { images: Tensor; labels: Uint8Array } {
  const images = new Float32Array(indices.length * 784);
  indices.forEach((index, i) => images.set(split.images.subarray(index * 784, (index + 1) * 784), i * 784));
  return { images: new Tensor(images, [indices.length, 1, 28, 28]), labels: Uint8Array.from(indices, (index) => split.labels[index] as number) };
}

/** The model's logits for `images` in inference mode with `statistics` (rows of 10). */
export function logitsOf(model: Module, images: Tensor, statistics: NormStatistics): Float32Array {
  model.eval();
  model.setNormStatistics(statistics);
  return reuseBuffers(() => noGrad(() => Float32Array.from(model.forward(images).data)));
}

/** Softmax of one row of logits. */
export function probabilities(logits: Float32Array, row: number, classes = 10): number[] {
  const values = Array.from(logits.subarray(row * classes, (row + 1) * classes));
  const top = Math.max(...values);
  const exps = values.map((value) => Math.exp(value - top));
  const total = exps.reduce((sum, value) => sum + value, 0);
  return exps.map((value) => value / total);
}

/** Index of the largest value. */
export function argmax(values: number[]): number {
  return values.reduce((best, value, i) => (value > (values[best] as number) ? i : best), 0);
}

/** Yields to the browser so the page stays responsive between steps. */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
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
