/**
 * A second core for the synchronous webasm backend.
 *
 * gpu.js spreads WebAssembly kernels over threads only under its asynchronous
 * contract, and our ops are synchronous (see backend.ts). So the backend
 * splits a convolution's batch in two and hands one half to this helper: a
 * worker (helper-jobs.ts) with its own gpu.js that compiles the same
 * generated kernel source (for the half batch) and runs it, while this
 * thread runs the other half. This thread then blocks on `Atomics.wait`
 * until the helper's half is done: the call stays synchronous.
 *
 * It also runs half of a plain JavaScript loop over independent indices (the
 * norm layers' channels; split-loop.ts), named in helper-loops.ts.
 *
 * Data moves through SharedArrayBuffers, so nothing is copied between the
 * threads beyond the arguments gpu.js copies into its WebAssembly memory anyway.
 *
 * Where: in Node, a worker_threads worker (helper-worker.ts), unref'd so it
 * never keeps the process alive. In a browser, only inside a worker (a
 * page's own thread may not block on `Atomics.wait`) of a cross-origin
 * isolated page (SharedArrayBuffer), and only once the page has named the
 * helper's script (`useHelperWorkerScript`; the playground's attack worker
 * does): a nested module Worker (helper-worker-browser.ts).
 */
import type { Worker as NodeWorker } from 'node:worker_threads';
import { nodeBuiltin } from '../platform.js';
import type { KernelJob, LoopCall } from './kernel-runner.js';
import type { RangeLoop } from './kernel-backend.js';
import { DONE, ERROR_TEXT_BYTES, errorTextBuffer, FAILED, readErrorText, type HelperWorkerData, type KernelMessage, type LoopMessage } from './helper-protocol.js';

/**
 * Starts the Node worker module. Run from source (tsx, vitest), it is a .ts
 * file, so the worker first registers tsx's loader; built (dist/), it is
 * plain JavaScript. If the module fails to load, the worker writes why (as
 * writeErrorText does: that module may be what failed to load) and sets its
 * ready word to FAILED: the backend then runs on one thread (isReady).
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.typescriptLoader !== null) (await import(workerData.typescriptLoader)).register();
  await import(workerData.moduleUrl);
})().catch((error) => {
  const bytes = new TextEncoder().encode(String((error && error.stack) || error)).subarray(0, ${ERROR_TEXT_BYTES});
  new Uint8Array(workerData.errorText, 4).set(bytes);
  new Int32Array(workerData.errorText, 0, 1)[0] = bytes.length;
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

/** The helper's worker, in Node or in a browser: how to send it a job, and how to end it. */
interface HelperWorker {
  post(message: KernelMessage | LoopMessage): void;
  terminate(): void;
}

/** The URL of the browser helper's script (null: no helper in a browser). */
let browserScript: string | null = null;

/**
 * Names the script a browser worker starts its helper from (the bundle of
 * helper-worker-browser.ts), or null for none. Call it before `setBackend`.
 */
export function useHelperWorkerScript(url: string | null): void {
  browserScript = url;
}

/** Whether this is a browser worker that may start and block on a helper (cross-origin isolated, with a helper script named). */
function browserWorkerCanHelp(): boolean {
  const scope = globalThis as { WorkerGlobalScope?: new () => unknown; crossOriginIsolated?: boolean; Worker?: unknown };
  return browserScript !== null && typeof scope.WorkerGlobalScope === 'function' && globalThis instanceof scope.WorkerGlobalScope && scope.crossOriginIsolated === true && typeof scope.Worker === 'function';
}

export class HelperThread {
  private readonly worker: HelperWorker;
  /** Set to DONE by the helper once it listens for jobs (FAILED if it could not start). */
  private readonly readyFlag = new Int32Array(new SharedArrayBuffer(4));
  /** Where the helper writes a failure's message (read after the wait). */
  private readonly errorText = errorTextBuffer();
  private patience: number;
  private failed = false;
  private readonly buffers = new Map<string, Float32Array>();
  private readonly sentSources = new Set<string>();

  /** Whether a helper can run here: Node's worker threads, or a browser worker that may (see the file header). */
  static available(): boolean {
    return nodeBuiltin('node:worker_threads') !== null || browserWorkerCanHelp();
  }

  /** `codegen`: which WebAssembly code generator the helper compiles with (see wasmCodegen in gpujs-patches.ts). Only where {@link HelperThread.available}. */
  /** `module`: the Node worker module to run (helper-worker.ts beside this file; another only in tests). */
  constructor(codegen: 'improved' | 'stock', module = workerModule()) {
    const data: HelperWorkerData = { codegen, ready: this.readyFlag.buffer as SharedArrayBuffer, errorText: this.errorText };
    const stopped = (why: string): void => {
      if (!this.failed) console.warn(`robustnorm: the webasm helper thread stopped (${why}); running on one thread`);
      this.failed = true;
    };
    if (nodeBuiltin('node:worker_threads') !== null) {
      this.worker = startNodeWorker(data, module, stopped);
      this.patience = FIRST_START_PATIENCE_MS;
    } else {
      this.worker = startBrowserWorker(data, browserScript as string, stopped);
      // Whether a nested worker can start while its parent blocks is the browser's to decide: never wait;
      // kernels run on one thread until the helper says it is ready.
      this.patience = 0;
    }
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
      const message = readErrorText(this.errorText);
      console.warn(`robustnorm: the webasm helper thread could not start (${message?.split('\n')[0] ?? 'no message'}); running on one thread`);
      this.failed = true;
      return false;
    }
    return ready === DONE;
  }

  /**
   * Resolves true once the helper listens for jobs, false if it failed or
   * `timeoutMs` passed first. It waits without blocking, so that a browser
   * worker's nested helper can start (a browser starts it only while its
   * parent's thread is free).
   */
  async started(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (Atomics.load(this.readyFlag, 0) === 0 && !this.failed && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
    return Atomics.load(this.readyFlag, 0) !== 0 && this.isReady();
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
    this.worker.post(message);
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
    this.worker.post(message);
    return () => this.wait(status, `loop ${loop.name}`);
  }

  /** Waits until the helper has set `status`; an error with the helper's message if it failed. */
  private wait(status: Int32Array, what: string): void {
    Atomics.wait(status, 0, 0);
    if (Atomics.load(status, 0) !== DONE) {
      const message = readErrorText(this.errorText);
      throw new Error(`the webasm helper thread failed on ${what}: ${message ?? 'no message'}`);
    }
  }

  dispose(): void {
    this.worker.terminate();
  }
}

/** The helper as a Node worker thread running `module` through BOOTSTRAP. */
function startNodeWorker(data: HelperWorkerData, module: ReturnType<typeof workerModule>, stopped: (why: string) => void): HelperWorker {
  const threads = nodeBuiltin('node:worker_threads')!;
  // The worker inherits Node's flags, except --input-type (`node --input-type=module -e …`
  // would make it read BOOTSTRAP, CommonJS, as a module).
  const execArgv = withoutInputType(process.execArgv);
  const worker: NodeWorker = new threads.Worker(BOOTSTRAP, { eval: true, execArgv, workerData: { ...data, ...module } });
  // A helper that dies (it could not even load) is not used again: one thread from then on.
  worker.on('error', (error) => stopped(error.message));
  worker.unref();
  return { post: (message) => worker.postMessage(message), terminate: () => void worker.terminate() };
}

/** The helper as a nested module Worker in a browser; its data go as the first message. */
function startBrowserWorker(data: HelperWorkerData, script: string, stopped: (why: string) => void): HelperWorker {
  const worker = new Worker(script, { type: 'module', name: 'robustnorm webasm helper' });
  worker.onerror = (event) => stopped(event.message || `${script} could not be loaded`);
  worker.postMessage(data);
  return { post: (message) => worker.postMessage(message), terminate: () => worker.terminate() };
}
