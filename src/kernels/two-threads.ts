/**
 * The webasm backend's scheduling over two threads: this one and a helper
 * (helper-thread.ts). A convolution's batch is split in two halves that run
 * at once (`inParts`); a long plain loop over independent indices runs half
 * there (`splitLoop`); matmul hands over a part of its own (`startOnHelper`).
 * Work too small to pay for the hand-over, or any work while the helper is
 * not ready, runs here in one piece.
 */
import { environmentVariable } from '../environment.js';
import { availableCores } from '../platform.js';
import { HelperThread } from './helper-thread.js';
import type { RangeLoop, SplitsLoops } from './kernel-backend.js';
import { runHere, type Allocate, type KernelJob, type LoopCall, type PartPlan, type PartWork } from './kernel-runner.js';
import { inSharedMemory } from './shared-memory.js';
import type { Conv2dShape } from './shapes.js';

/**
 * Work, in multiply-adds, below which a kernel runs in one piece: splitting it
 * costs more in copies and hand-over than the second core gains.
 */
const MIN_WORK_TO_SPLIT = 1 << 16;

/**
 * A plain loop over fewer values than this runs in one piece: handing half
 * to the helper (a message and a wake-up, tens of microseconds) would cost
 * more than it saves.
 */
const MIN_VALUES_TO_SPLIT = 1 << 16;

/**
 * How many threads the webasm backend uses: ROBUSTNORM_THREADS, or 2 when the
 * machine has at least 2 cores (the main thread and one helper; see
 * helper-thread.ts). 1 turns the helper off.
 */
export function webasmThreads(): number {
  const setting = environmentVariable('ROBUSTNORM_THREADS');
  if (setting !== undefined && setting !== '') {
    const threads = Number(setting);
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`ROBUSTNORM_THREADS must be a positive integer, got "${setting}"`);
    return Math.min(threads, 2);
  }
  return Math.min(availableCores(), 2);
}

/** What `inParts` needs of the backend for the part it runs here. */
export interface ThisThread {
  /** Prepares, runs and finishes one part on this thread. */
  runPart(part: PartWork): void;
  /** Where this thread's part writes its kernel arguments (KernelMemory.allocateHere). */
  allocateHere: Allocate;
  /** Where the helper's part writes them: in shared memory (KernelMemory.allocateShared). */
  allocateShared: Allocate;
}

export class TwoThreads implements SplitsLoops {
  /** `helper`: the second thread, or null for one thread (then every call runs here). */
  constructor(private readonly helper: HelperThread | null) {}

  /** Whether there is a helper thread (the step's buffers then go in shared memory: backend.ts). */
  get hasHelper(): boolean {
    return this.helper !== null;
  }

  /** Resolves true once the helper listens for jobs (see HelperThread.started); false at once without one. */
  helperStarted(timeoutMs: number): Promise<boolean> {
    return this.helper === null ? Promise.resolve(false) : this.helper.started(timeoutMs);
  }

  /**
   * Runs a convolution kernel over the batch: in one piece, or as two halves
   * at once, images [0, half) on the helper and [half, N) here. `plan` makes
   * the job for a run of images starting at `first` (the same kernel
   * generator, for a smaller batch) and what to do with its result. Every
   * output value is computed exactly as in one piece; only the weight
   * gradient adds two half-batch sums, so its last bits depend on whether
   * the helper runs (ROBUSTNORM_THREADS, the number of cores), as do those
   * of matmul's Aᵀ·B split (see matmul.ts).
   */
  inParts(shape: Conv2dShape, half: number, plan: PartPlan, here: ThisThread): void {
    const N = shape.batch;
    const work = N * shape.outChannels * shape.outHeight * shape.outWidth * shape.inChannels * shape.kernelHeight * shape.kernelWidth;
    if (this.helper === null || half === 0 || work < MIN_WORK_TO_SPLIT || !this.helper.isReady()) {
      here.runPart(plan(shape, 0, here.allocateHere));
      return;
    }
    // The helper's part is planned first, straight into shared memory, and
    // handed over: its prepare loop, its kernel and its finish loop run
    // there in that order (each here instead when its task is not in shared
    // memory). This thread plans and runs its own part meanwhile.
    const helper = this.helper;
    const theirs = plan({ ...shape, batch: half }, 0, here.allocateShared);
    const waits: Array<() => unknown> = [];
    const onHelper = (call: LoopCall): boolean => {
      if (!inSharedMemory(call.task)) return false;
      waits.push(helper.startLoop(call.loop as RangeLoop<object>, call.task, 0, call.count));
      return true;
    };
    if (theirs.prepare !== undefined && !onHelper(theirs.prepare)) runHere(theirs.prepare);
    // (the finish loop's task names the shared copy of the result; on the helper it reads the result in place)
    const finishLoop = theirs.finishLoop?.(helper.outputOf(theirs.job));
    const finishedThere = finishLoop !== undefined && inSharedMemory(finishLoop.task);
    const waitKernel = helper.start(theirs.job, finishedThere ? finishLoop : undefined);
    waits.push(waitKernel);
    // every job waited for, so that none is still writing when an error is rethrown
    const waitAll = (): void => {
      const errors: unknown[] = [];
      for (const wait of waits) {
        try {
          wait();
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length > 0) throw errors[0];
    };
    this.whileHelperRuns(waitAll, () => here.runPart(plan({ ...shape, batch: N - half }, half, here.allocateHere)));
    waitAll();
    if (finishedThere) return;
    if (finishLoop !== undefined) runHere(finishLoop);
    else theirs.finish?.(waitKernel() as Float32Array);
  }

  /** Half of `loop` on the helper (see split-loop.ts and SplitsLoops): [⌊count/2⌋, count) there, [0, ⌊count/2⌋) here. */
  splitLoop<Task extends object>(loop: RangeLoop<Task>, task: Task, count: number, values: number): boolean {
    const half = Math.floor(count / 2);
    if (this.helper === null || half === 0 || values < MIN_VALUES_TO_SPLIT || !inSharedMemory(task) || !this.helper.isReady()) {
      loop(task, 0, count);
      return false;
    }
    const wait = this.helper.startLoop(loop, task, half, count);
    this.whileHelperRuns(wait, () => loop(task, 0, half));
    wait();
    return true;
  }

  /** Whether a kernel call of `work` multiply-adds should give part of it to the helper (there is one, it is ready, the work is big enough). */
  helperTakes(work: number): boolean {
    return this.helper !== null && work >= MIN_WORK_TO_SPLIT && this.helper.isReady();
  }

  /** Starts `job` on the helper (after `helperTakes`); returns the function that waits for its result. */
  startOnHelper(job: KernelJob): () => Float32Array {
    if (this.helper === null) throw new Error('startOnHelper: this backend has no helper thread');
    return this.helper.start(job);
  }

  /** Does this thread's share of the work while the helper runs its part; on an error, waits for the helper before rethrowing. */
  whileHelperRuns<T>(wait: () => unknown, work: () => T): T {
    try {
      return work();
    } catch (error) {
      // never leave the helper writing into buffers the next call will reuse
      try {
        wait();
      } catch {
        // the first error is the one to report
      }
      throw error;
    }
  }

  dispose(): void {
    this.helper?.dispose();
  }
}

/**
 * The scheduler for a backend: with a helper on webasm when there are two
 * threads and worker threads exist, else one thread. A helper that cannot
 * even be started (say, TypeScript source run by a loader other than tsx,
 * so that the worker module cannot be loaded) costs the second core, with
 * one warning, never the backend.
 */
export function twoThreadsFor(codegen: 'improved' | 'stock' | null): TwoThreads {
  if (codegen === null || webasmThreads() < 2 || !HelperThread.available()) return new TwoThreads(null);
  try {
    return new TwoThreads(new HelperThread(codegen));
  } catch (error) {
    console.warn(`robustnorm: the webasm helper thread could not start (${(error as Error).message.split('\n')[0]}); running on one thread`);
    return new TwoThreads(null);
  }
}
