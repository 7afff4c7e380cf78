/**
 * Small helpers the lessons share: the fast-mode switch, section headings, a
 * stopwatch, and the tiny CNN that lessons 6, 8 and 9 train.
 *
 * Everything a lesson teaches comes from '../src/index.js', the library's
 * public API; this file only keeps the lessons short.
 */
import { Conv2d, Flatten, Linear, makeNorm, MNIST_NORMALIZATION, NormalizeInput, Random, ReLU, Sequential, type NormKind } from '../src/index.js';

/** `LESSON_FAST=1` (set by `npm run lessons`, which CI runs) shrinks every workload. */
export const FAST = process.env.LESSON_FAST === '1';

/** Picks the normal or the fast-mode value. */
export function size<T>(normal: T, fast: T): T {
  return FAST ? fast : normal;
}

/** Prints a section heading. */
export function heading(title: string): void {
  console.log(`\n── ${title} ${'─'.repeat(Math.max(0, 72 - title.length))}`);
}

/** Runs `fn` and prints how long it took. */
export function timed<T>(label: string, fn: () => T): T {
  const start = performance.now();
  const result = fn();
  console.log(`   (${label}: ${((performance.now() - start) / 1000).toFixed(1)} s)`);
  return result;
}

/**
 * A tiny CNN for lessons: 28×28 → conv 3×3 stride 2 (8 channels, 14×14) → norm
 * → ReLU → conv 3×3 stride 2 (16 channels, 7×7) → norm → ReLU → linear → 10.
 * It is `small-cnn` (src/models/small-cnn.ts) with fewer, smaller layers, so a
 * lesson trains it in seconds on a laptop CPU. The first layer normalizes the
 * pixels with MNIST's mean and std, so attacks work on [0, 1] pixels.
 */
export function tinyCnn(norm: NormKind, seed = 0, power = 0.2): Sequential {
  const random = new Random(seed);
  return new Sequential(
    new NormalizeInput(MNIST_NORMALIZATION.mean, MNIST_NORMALIZATION.std),
    new Conv2d(1, 8, 3, { stride: 2, padding: 1, random }),
    makeNorm({ kind: norm, power }, 8),
    new ReLU(),
    new Conv2d(8, 16, 3, { stride: 2, padding: 1, random }),
    makeNorm({ kind: norm, power }, 16),
    new ReLU(),
    new Flatten(),
    new Linear(16 * 7 * 7, 10, { random }),
  );
}

/** Throws with `message` unless `condition` holds (the exercise checks use it). */
export function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/** Largest |a_i − b_i|. */
export function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}
