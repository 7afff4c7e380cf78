/**
 * Plain JavaScript loops on both cores.
 *
 * The webasm backend runs its gpu.js kernels on two threads (helper-thread.ts),
 * but the passes between them (the norm layers' loops) ran on the main thread
 * alone, while the helper waited: measured on a 2-thread `small-cnn` training
 * step, the helper's share of each kernel took as long as the main thread's,
 * and the norm layers were about a fifth of the step, all of it on one core.
 *
 * A loop that treats each index of [0, count) on its own (one channel of a
 * norm layer: its statistics, its outputs, its gradients) can be split: the
 * helper runs `loop(task, half, count)` while this thread runs
 * `loop(task, 0, half)`. Each index is computed by one thread, in the same
 * order as in one piece, so the results are the same bit for bit however
 * the work is split.
 *
 * What a loop must be, to run on the helper:
 * - a named function, listed in helper-loops.ts: the helper (a worker
 *   module, helper-worker.ts) imports that list and calls the same function
 *   by name, so a loop may call the helpers its module imports;
 * - its task an object of numbers, booleans and typed arrays; the arrays it
 *   writes, and those it reads, all in shared memory (a SharedArrayBuffer),
 *   which the buffer pool hands out while the backend has a helper
 *   (`setSharedBuffers` in buffer-pool.ts, called by backend.ts). A task
 *   with any other array runs in one piece here.
 */
import { getBackend } from './backend.js';
import type { RangeLoop, SplitsLoops } from './kernel-backend.js';

export { inSharedMemory, sharedFloat64 } from './shared-memory.js';


/**
 * Runs `loop(task, first, end)` over [0, count): on two threads when the
 * active backend has a helper, `task` is in shared memory and the loop
 * touches enough `values` in all (see SplitsLoops); else in one piece.
 * Returns when every index is done.
 */
export function splitLoop<Task extends object>(loop: RangeLoop<Task>, task: Task, count: number, values: number): void {
  const backend = getBackend() as Partial<SplitsLoops>;
  if (backend.splitLoop !== undefined) backend.splitLoop(loop, task, count, values);
  else loop(task, 0, count);
}
