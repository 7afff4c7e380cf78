/**
 * A second core for the synchronous webasm backend.
 *
 * gpu.js spreads WebAssembly kernels over threads only under its asynchronous
 * contract, and our ops are synchronous (see backend.ts). So the backend
 * splits a convolution's batch in two and hands one half to this helper: a
 * worker thread (helper-worker.ts) with its own gpu.js that compiles the same
 * generated kernel source (for the half batch) and runs it, while the main
 * thread runs the other half. The main thread then blocks on `Atomics.wait`
 * until the helper's half is done: the call stays synchronous.
 *
 * It also runs half of a plain JavaScript loop over independent indices (the
 * norm layers' channels; split-loop.ts), named in helper-loops.ts.
 *
 * Data moves through SharedArrayBuffers, so nothing is copied between the
 * threads beyond the arguments gpu.js copies into its WebAssembly memory anyway.
 * The helper is unref'd: it never keeps the process alive.
 */
import type { MessagePort, Worker } from 'node:worker_threads';
import { nodeBuiltin, type NodeBuiltins } from '../platform.js';
import type { KernelJob, LoopCall } from './kernel-runner.js';
import type { RangeLoop } from './kernel-backend.js';
import { DONE, FAILED, type HelperWorkerData, type KernelMessage, type LoopMessage } from './helper-protocol.js';

/**
 * Starts the worker module. Run from source (tsx, vitest), it is a .ts file,
 * so the worker first registers tsx's loader; built (dist/), it is plain
 * JavaScript. If the module fails to load, the worker says why and sets its
 * ready word to FAILED: the backend then runs on one thread (isReady).
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.typescriptLoader !== null) (await import(workerData.typescriptLoader)).register();
  await import(workerData.moduleUrl);
})().catch((error) => {
  workerData.errors.postMessage(String((error && error.stack) || error));
  const ready = new Int32Array(workerData.ready);
  Atomics.store(ready, 0, ${FAILED});
  Atomics.notify(ready, 0);
});
`;

/** The worker module beside this one, as source or as built JavaScript. */
function workerModule(): { moduleUrl: string; typescriptLoader: string | null } {
  const fromSource = import.meta.url.endsWith('.ts');
  const moduleUrl = new URL(fromSource ? './helper-worker.ts' : './helper-worker.js', import.meta.url).href;
  return { moduleUrl, typescriptLoader: fromSource ? import.meta.resolve('tsx/esm/api') : null };
}

/** A Float32Array over shared memory, reused between calls of the same size. */
function sharedCopy(pool: Map<string, Float32Array>, name: string, source: Float32Array): Float32Array {
  let shared = pool.get(name);
  if (shared === undefined || shared.length !== source.length) {
    shared = new Float32Array(new SharedArrayBuffer(source.length * 4));
    pool.set(name, shared);
  }
  shared.set(source);
  return shared;
}

/**
 * How long the first `isReady` waits for the helper to start (it takes
 * ≈0.2 s). Where a worker cannot start while the main thread is blocked
 * (seen with `node --input-type=module -e`), waiting on its first job would
 * hang for ever; after this wait the backend runs on one thread, and on two
 * once the helper has started.
 */
const FIRST_START_PATIENCE_MS = 10_000;

/** Node's flags without --input-type, in either spelling (`--input-type=module`, `--input-type module`). */
export function withoutInputType(flags: readonly string[]): string[] {
  return flags.filter((flag, i) => !flag.startsWith('--input-type') && flags[i - 1] !== '--input-type');
}

let loopsStarted = 0;

/** How many loops have been handed to a helper thread so far (for tests). */
export function loopsStartedOnHelper(): number {
  return loopsStarted;
}

export class HelperThread {
  private readonly worker: Worker;
  /** Set to 1 by the helper once it listens for jobs. */
  private readonly readyFlag = new Int32Array(new SharedArrayBuffer(4));
  private patience = FIRST_START_PATIENCE_MS;
  private failed = false;
  private readonly buffers = new Map<string, Float32Array>();
  private readonly sentSources = new Set<string>();
  /** The helper reports a failure here; read synchronously after the wait. */
  private readonly errors: MessagePort;

  /** Whether there are worker threads here (Node; reached through platform.ts, so a page never loads them). */
  static available(): boolean {
    return nodeBuiltin('node:worker_threads') !== null;
  }

  private readonly threads: NodeBuiltins['node:worker_threads'];

  /** `codegen`: which WebAssembly code generator the helper compiles with (see wasmCodegen in gpujs-patches.ts). Only where {@link HelperThread.available}. */
  /** `module`: the worker module to run (helper-worker.ts beside this file; another only in tests). */
  constructor(codegen: 'improved' | 'stock', module = workerModule()) {
    const threads = nodeBuiltin('node:worker_threads');
    if (threads === null) throw new Error('HelperThread: worker threads are only available in Node');
    this.threads = threads;
    const { port1, port2 } = new threads.MessageChannel();
    this.errors = port1;
    // The worker inherits Node's flags, except --input-type (`node --input-type=module -e …`
    // would make it read BOOTSTRAP, CommonJS, as a module).
    const execArgv = withoutInputType(process.execArgv);
    const workerData = { ...module, codegen, errors: port2, ready: this.readyFlag.buffer as SharedArrayBuffer } satisfies HelperWorkerData & ReturnType<typeof workerModule>;
    this.worker = new threads.Worker(BOOTSTRAP, { eval: true, execArgv, workerData, transferList: [port2] });
    // A helper that dies (it could not even load) is not used again: one thread from then on.
    this.worker.on('error', (error) => {
      if (!this.failed) console.warn(`robustnorm: the webasm helper thread stopped (${error.message}); running on one thread`);
      this.failed = true;
    });
    this.worker.unref();
    port1.unref();
  }

  /**
   * Whether the helper listens for jobs; the first call waits for it to start
   * (up to FIRST_START_PATIENCE_MS), later ones do not wait. A helper whose
   * module could not load is not used: one warning, then one thread.
   */
  isReady(): boolean {
    if (this.failed) return false;
    if (Atomics.load(this.readyFlag, 0) === 0 && this.patience > 0) {
      Atomics.wait(this.readyFlag, 0, 0, this.patience);
      this.patience = 0;
    }
    const ready = Atomics.load(this.readyFlag, 0);
    if (ready === FAILED) {
      const message = this.threads.receiveMessageOnPort(this.errors)?.message as string | undefined;
      console.warn(`robustnorm: the webasm helper thread could not start (${message?.split('\n')[0] ?? 'no message'}); running on one thread`);
      this.failed = true;
      return false;
    }
    return ready === DONE;
  }

  /** The shared array the helper writes `job`'s flat result into (kept per kernel, so a loop queued after the job can read it). */
  outputOf(job: KernelJob): Float32Array {
    const size = 4 * job.output.reduce((product, dim) => product * dim, 1);
    let out = this.buffers.get(`${job.key}:out`);
    if (out === undefined || out.length !== size) {
      out = new Float32Array(new SharedArrayBuffer(size * 4));
      this.buffers.set(`${job.key}:out`, out);
    }
    return out;
  }

  /**
   * Starts `job` on the helper (call only once `isReady`); call the returned
   * function to wait for its flat result. With `finish` (a loop whose task is
   * in shared memory and reads the result as `task.quads`), the helper runs
   * that loop on the result where it lies in the kernel's memory, and the
   * flat result is not copied out.
   */
  start(job: KernelJob, finish?: LoopCall): () => Float32Array {
    // arguments already in shared memory go as they are; others are copied there
    const args = job.args.map((arg, i) => (arg.buffer instanceof SharedArrayBuffer ? arg : sharedCopy(this.buffers, `${job.key}:arg${i}`, arg)));
    const out = this.outputOf(job);
    const status = new Int32Array(new SharedArrayBuffer(4));
    // The source is sent once per kernel; the helper caches the compiled kernel by key.
    const source = this.sentSources.has(job.key) ? '' : job.source();
    this.sentSources.add(job.key);
    if (finish !== undefined) loopsStarted++;
    const message: KernelMessage = {
      kind: 'kernel', key: job.key, source, output: job.output, args, out: out.buffer as SharedArrayBuffer, status: status.buffer as SharedArrayBuffer,
      ...(finish === undefined ? {} : { finish: { loop: (finish.loop as RangeLoop<object>).name, task: finish.task, count: finish.count } }),
    };
    this.worker.postMessage(message);
    return () => {
      this.wait(status, job.key);
      return out;
    };
  }

  /**
   * Starts `loop(task, first, end)` on the helper (call only once `isReady`;
   * `loop` must be listed in helper-loops.ts, and every array of `task` live
   * in shared memory, see split-loop.ts); call the returned function to wait for it.
   */
  startLoop<Task>(loop: RangeLoop<Task>, task: Task, first: number, end: number): () => void {
    loopsStarted++;
    const status = new Int32Array(new SharedArrayBuffer(4));
    const message: LoopMessage = { kind: 'loop', loop: loop.name, task: task as object, first, end, status: status.buffer as SharedArrayBuffer };
    this.worker.postMessage(message);
    return () => this.wait(status, `loop ${loop.name}`);
  }

  /** Waits until the helper has set `status`; an error with the helper's message if it failed. */
  private wait(status: Int32Array, what: string): void {
    Atomics.wait(status, 0, 0);
    if (Atomics.load(status, 0) !== DONE) {
      const message = this.threads.receiveMessageOnPort(this.errors)?.message as string | undefined;
      throw new Error(`the webasm helper thread failed on ${what}: ${message ?? 'no message'}`);
    }
  }

  dispose(): void {
    this.errors.close();
    void this.worker.terminate();
  }
}
