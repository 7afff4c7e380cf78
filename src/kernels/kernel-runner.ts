/**
 * What a kernel's host-side steps need from the gpu.js backend that runs them.
 *
 * Each kernel file (matmul.ts, conv2d-forward.ts, conv2d-grad-input.ts,
 * conv2d-grad-weight.ts, conv2d-image-lanes.ts) holds its kernel's source,
 * its TypeScript twin and the steps around a run: packing the inputs,
 * splitting the batch, unpacking the result. Those steps call the backend
 * through this interface only, so a reader finds a kernel's whole story in
 * its file. gpujs-backend.ts implements it, with kernel-memory.ts and
 * two-threads.ts.
 */
import type { BackendName, RangeLoop } from './kernel-backend.js';
import type { Conv2dShape } from './shapes.js';

/** One kernel call: the generated source, its output size, and its arguments. */
export interface KernelJob {
  /** Names the compiled kernel in the cache (op and shape). */
  key: string;
  source: () => string;
  output: number[];
  args: Float32Array[];
}

/** A zero-filled array that argument `argument` of kernel `key` is written into. */
export type Allocate = (key: string, argument: number, length: number) => Float32Array;

/** A loop over [0, count) of a task (split-loop.ts): host work that the helper thread can run for its own part. */
export interface LoopCall {
  loop: RangeLoop<never>;
  task: object;
  count: number;
}

/**
 * One part's kernel job and the host work around it. `prepare`, when given,
 * fills the job's arguments (allocated, zero-filled, not yet written);
 * `finish` takes the result apart at once, or `finishLoop` returns the loop
 * that does (without running it; its task reads the result as `quads`, which
 * the helper replaces with the result where it lies in its kernel's memory). The helper thread runs the prepare and
 * finish loops of its own part itself when their tasks are in shared
 * memory; this thread runs everything else.
 */
export interface PartWork {
  job: KernelJob;
  prepare?: LoopCall;
  finish?: (quads: Float32Array) => void;
  finishLoop?: (quads: Float32Array) => LoopCall;
}

/** The work for a run of images starting at `first`. */
export type PartPlan = (part: Conv2dShape, first: number, allocate: Allocate) => PartWork;

/** Runs a {@link LoopCall} here, in one piece. */
export function runHere(call: LoopCall): void {
  (call.loop as RangeLoop<object>)(call.task, 0, call.count);
}

export interface KernelRunner {
  readonly name: Exclude<BackendName, 'reference'>;
  /**
   * Runs a kernel job (compiling its source on first use) and returns its
   * output as one flat array of the output's cells × 4 values. On webasm it
   * is a view of the kernel's memory: read it before the same kernel runs again.
   */
  run(op: string, job: KernelJob): Float32Array;
  /**
   * Runs a convolution kernel over the batch: in one piece, or with the helper
   * thread as two halves at once (images [0, h) there, [h, N) here). Every
   * output value is computed exactly as in one piece.
   */
  inParts(op: string, shape: Conv2dShape, plan: PartPlan): void;
  /** Runs a plain loop over [0, count), half on the helper thread when it can (see SplitsLoops in kernel-backend.ts). */
  splitLoop<Task extends object>(loop: RangeLoop<Task>, task: Task, count: number, values: number): boolean;
  /** Whether a kernel call of `work` multiply-adds should give part of it to the helper thread (there is one, it is ready, the work is big enough). */
  helperTakes(work: number): boolean;
  /** Starts `job` on the helper thread (after `helperTakes`); returns the function that waits for its result. */
  startOnHelper(job: KernelJob): () => Float32Array;
  /** Does this thread's share while the helper runs; on an error, waits for the helper before rethrowing. */
  whileHelperRuns<T>(wait: () => unknown, work: () => T): T;
  /** A view of the region of kernel memory that an argument is copied into (webasm), or a new array. */
  readonly allocateHere: Allocate;
  /** A working buffer kept between calls, one per purpose and shape (zero when first made). */
  scratch(key: string, length: number): Float32Array;
  /** The zero-padded input of a forward convolution, remembered for that input's weight gradient. */
  padForward(x: Float32Array, shape: Conv2dShape): Float32Array;
  /** The padded input the forward pass made for `x`, or a padded copy. */
  padForGradWeight(x: Float32Array, shape: Conv2dShape): Float32Array;
}
