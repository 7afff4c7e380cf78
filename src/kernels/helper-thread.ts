/**
 * A second core for the synchronous webasm backend.
 *
 * gpu.js spreads WebAssembly kernels over threads only under its asynchronous
 * contract, and our ops are synchronous (see backend.ts). So the backend
 * splits a convolution's batch in two and hands one half to this helper: a
 * worker thread with its own gpu.js that compiles the same generated kernel
 * source (for the half batch) and runs it, while the main thread runs the
 * other half. The main thread then blocks on `Atomics.wait` until the helper's
 * half is done: the call stays synchronous.
 *
 * It also runs half of a plain JavaScript loop over independent indices (the
 * norm layers' channels; split-loop.ts), compiled from the loop's source text.
 *
 * Data moves through SharedArrayBuffers, so nothing is copied between the
 * threads beyond the arguments gpu.js copies into its WebAssembly memory anyway.
 * The helper is unref'd: it never keeps the process alive.
 */
import type { MessagePort, Worker } from 'node:worker_threads';
import { nodeBuiltin, type NodeBuiltins } from '../platform.js';
import { installWasmCodegen } from './wasm-codegen.js';
import type { KernelJob, LoopCall } from './kernel-runner.js';
import type { RangeLoop } from './kernel-backend.js';


// The worker's code, plain CommonJS (it runs from a string, so it works the
// same under tsx, vitest and the compiled dist/).
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const errors = workerData.errors;
require('node:v8').setFlagsFromString('--no-liftoff');
// __name stands in for the helper a TypeScript loader may add to the code generator's source text
const __name = (target) => target;
let gpu = null;
let startupError = null;
try {
  const gpujs = require(workerData.gpuPath);
  // the main thread's code generator (wasm-codegen.ts), from its source text
  const codegen = (${installWasmCodegen.toString()})(gpujs, workerData.codegen === 'improved');
  if (workerData.codegen === 'improved' && !codegen.installed) throw new Error('the improved code generator did not install: ' + codegen.reason);
  gpu = new gpujs.GPU({ mode: 'webasm' });
} catch (error) {
  // answered on every job below, so the main thread never waits on a helper that cannot work
  startupError = error;
}
const kernels = new Map();
const loops = new Map();
// a plain JavaScript loop (split-loop.ts), compiled from its source text the first time its key comes
const loopFor = (key, source) => {
  let loop = loops.get(key);
  if (loop === undefined) {
    loop = new Function('__name', 'return (' + source + ');')(__name);
    loops.set(key, loop);
  }
  return loop;
};
parentPort.on('message', (job) => {
  const status = new Int32Array(job.status);
  try {
    if (job.kind === 'loop') {
      // over [first, end) of a task in shared memory
      loopFor(job.key, job.source)(job.task, job.first, job.end);
      Atomics.store(status, 0, 1);
      Atomics.notify(status, 0);
      return;
    }
    if (startupError !== null) throw startupError;
    let kernel = kernels.get(job.key);
    if (kernel === undefined) {
      kernel = gpu.createKernel(job.source, { output: job.output, precision: 'single', tactic: 'precision' });
      kernels.set(job.key, kernel);
    }
    // as in gpujs-backend.ts (returnFlatOutput): take gpu.js's flat output
    // instead of one subarray per cell
    if (!Object.prototype.hasOwnProperty.call(kernel.kernel, '_shapeOutput')) {
      Object.defineProperty(kernel.kernel, '_shapeOutput', { value: (data) => data });
    }
    const result = kernel(...job.args);
    // and, as there, a view of the output region instead of gpu.js's copy of it
    // (valid until this kernel runs again; copied out below)
    const memory = kernel.kernel._active && kernel.kernel._active.f32;
    if (memory && !Object.prototype.hasOwnProperty.call(memory, 'slice')) {
      Object.defineProperty(memory, 'slice', { value: (begin, end) => memory.subarray(begin, end) });
    }
    if (kernel.kernel.constructor.name !== 'WebAssemblyKernel') throw new Error('the helper ran ' + kernel.kernel.constructor.name + ', not webasm');
    if (job.finish && result instanceof Float32Array) {
      // the loop that takes the result apart reads it where it is, in the kernel's memory
      loopFor(job.finish.key, job.finish.source)({ ...job.finish.task, quads: result }, 0, job.finish.count);
      Atomics.store(status, 0, 1);
      Atomics.notify(status, 0);
      return;
    }
    // a flat Float32Array (or, before the patch above took, nested rows of per-cell views): copy it out in order
    const out = new Float32Array(job.out);
    let offset = 0;
    const walk = (item) => {
      if (item instanceof Float32Array) { out.set(item, offset); offset += item.length; }
      else for (const child of item) walk(child);
    };
    walk(result);
    if (job.finish) loopFor(job.finish.key, job.finish.source)(job.finish.task, 0, job.finish.count);
    Atomics.store(status, 0, 1);
  } catch (error) {
    errors.postMessage(String((error && error.stack) || error));
    Atomics.store(status, 0, 2);
  }
  Atomics.notify(status, 0);
});
// listening: the main thread may hand over jobs now (a startup error is reported per job, above)
const ready = new Int32Array(workerData.ready);
Atomics.store(ready, 0, 1);
Atomics.notify(ready, 0);
`;

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
    return nodeBuiltin('node:worker_threads') !== null && nodeBuiltin('node:module') !== null;
  }

  private readonly threads: NodeBuiltins['node:worker_threads'];

  /** `codegen`: which WebAssembly code generator the helper compiles with (see gpujs-backend.ts). Only where {@link HelperThread.available}. */
  constructor(codegen: 'improved' | 'stock') {
    const threads = nodeBuiltin('node:worker_threads');
    const nodeModule = nodeBuiltin('node:module');
    if (threads === null || nodeModule === null) throw new Error('HelperThread: worker threads are only available in Node');
    this.threads = threads;
    const gpuPath = nodeModule.createRequire(import.meta.url).resolve('gpu.js');
    const { port1, port2 } = new threads.MessageChannel();
    this.errors = port1;
    // The worker inherits Node's flags, except --input-type (`node --input-type=module -e …`
    // would make it read WORKER_CODE, CommonJS, as a module).
    const execArgv = withoutInputType(process.execArgv);
    this.worker = new threads.Worker(WORKER_CODE, { eval: true, execArgv, workerData: { gpuPath, codegen, errors: port2, ready: this.readyFlag.buffer }, transferList: [port2] });
    // A helper that dies (it could not even load) is not used again: one thread from then on.
    this.worker.on('error', (error) => {
      if (!this.failed) console.warn(`robustnorm: the webasm helper thread stopped (${error.message}); running on one thread`);
      this.failed = true;
    });
    this.worker.unref();
    port1.unref();
  }

  /** Whether the helper listens for jobs; the first call waits for it to start (up to FIRST_START_PATIENCE_MS), later ones do not wait. */
  isReady(): boolean {
    if (this.failed) return false;
    if (Atomics.load(this.readyFlag, 0) === 0 && this.patience > 0) {
      Atomics.wait(this.readyFlag, 0, 0, this.patience);
      this.patience = 0;
    }
    return Atomics.load(this.readyFlag, 0) === 1;
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
    const then = finish === undefined ? undefined : { ...this.loopMessage(finish.loop as RangeLoop<object>), task: finish.task, count: finish.count };
    if (then !== undefined) loopsStarted++;
    this.worker.postMessage({ key: job.key, source, output: job.output, args, out: out.buffer, status: status.buffer, finish: then });
    const result = out;
    return () => {
      Atomics.wait(status, 0, 0);
      if (Atomics.load(status, 0) !== 1) {
        const message = this.threads.receiveMessageOnPort(this.errors)?.message as string | undefined;
        throw new Error(`the webasm helper thread failed on ${job.key}: ${message ?? 'no message'}`);
      }
      return result;
    };
  }

  /**
   * Starts `loop(task, first, end)` on the helper (call only once `isReady`;
   * every array of `task` must live in shared memory, see split-loop.ts);
   * call the returned function to wait for it.
   */
  startLoop<Task>(loop: RangeLoop<Task>, task: Task, first: number, end: number): () => void {
    loopsStarted++;
    const { key, source } = this.loopMessage(loop);
    const status = new Int32Array(new SharedArrayBuffer(4));
    this.worker.postMessage({ kind: 'loop', key, source, task, first, end, status: status.buffer });
    return () => {
      Atomics.wait(status, 0, 0);
      if (Atomics.load(status, 0) !== 1) {
        const message = this.threads.receiveMessageOnPort(this.errors)?.message as string | undefined;
        throw new Error(`the webasm helper thread failed on ${key}: ${message ?? 'no message'}`);
      }
    };
  }

  /** A loop's key, and its source text the first time (the helper compiles it once). */
  private loopMessage<Task>(loop: RangeLoop<Task>): { key: string; source: string } {
    const key = `loop:${loop.name}`;
    const source = this.sentSources.has(key) ? '' : loop.toString();
    this.sentSources.add(key);
    return { key, source };
  }

  dispose(): void {
    this.errors.close();
    void this.worker.terminate();
  }
}
