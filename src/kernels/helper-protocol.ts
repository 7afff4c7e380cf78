/**
 * How the main thread and the webasm helper thread talk (helper-thread.ts
 * sends, helper-worker.ts answers): the worker's start-up data and the two
 * kinds of job. Each job carries a status word in shared memory that the
 * helper sets to DONE or FAILED before waking the main thread.
 */
import type { MessagePort } from 'node:worker_threads';

/** A job's status word: 0 while it runs. */
export const DONE = 1;
export const FAILED = 2;

/** What helper-thread.ts starts the worker with. */
export interface HelperWorkerData {
  codegen: 'improved' | 'stock';
  /** Where a failure's message goes (read synchronously by the main thread after the wait). */
  errors: MessagePort;
  /** Set to DONE once the helper listens for jobs, or to FAILED (its message on `errors`) when its module could not load. */
  ready: SharedArrayBuffer;
}

/** A kernel job: the kernel (its source the first time), its arguments, where its flat result goes, and the loop that takes it apart there. */
export interface KernelMessage {
  kind: 'kernel';
  key: string;
  source: string;
  output: number[];
  args: Float32Array[];
  out: SharedArrayBuffer;
  status: SharedArrayBuffer;
  finish?: { loop: string; task: object; count: number };
}

/** A loop job: `loop(task, first, end)` on this thread. */
export interface LoopMessage {
  kind: 'loop';
  loop: string;
  task: object;
  first: number;
  end: number;
  status: SharedArrayBuffer;
}
