/**
 * The webasm backend's helper thread: a worker module (Node's worker_threads)
 * that helper-thread.ts starts and hands jobs to.
 *
 * It has its own gpu.js, with the same WebAssembly code generator as the
 * main thread (wasm-codegen.ts), and compiles each kernel's generated source
 * the first time its key comes (for its part of the batch). It runs the
 * split loops (split-loop.ts) by name from helper-loops.ts, the same
 * functions the main thread runs. Arrays arrive in shared memory, so
 * nothing is copied back: it writes the results where the main thread reads
 * them, then sets the job's status (1 done, 2 failed) and wakes it.
 *
 * Node-only (it is never part of a page's import graph: helper-thread.ts
 * names it by URL, and only where worker threads exist).
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as gpujs from 'gpu.js';
import type { IKernelRunShortcut, KernelOutput } from 'gpu.js';
import { installWasmCodegen } from './wasm-codegen.js';
import { returnFlatOutput, useOptimizingWasmCompiler } from './gpujs-patches.js';
import { helperLoop } from './helper-loops.js';
import { DONE, FAILED, type HelperWorkerData, type KernelMessage, type LoopMessage } from './helper-protocol.js';

const data = workerData as HelperWorkerData;
// the main thread's changes to gpu.js (gpujs-patches.ts), on this thread's gpu.js
useOptimizingWasmCompiler();

// the code generator and gpu.js's GPU; a failure here is answered on every kernel job (loops still run), so the main
// thread never waits on a helper that cannot work (a module that fails to import is the bootstrap's case, helper-thread.ts)
let gpu: { createKernel(source: string, settings: object): IKernelRunShortcut } | null = null;
let startupError: unknown = null;
try {
  const codegen = installWasmCodegen(gpujs, data.codegen === 'improved');
  if (data.codegen === 'improved' && !codegen.installed) throw new Error(`the improved code generator did not install: ${codegen.reason}`);
  gpu = new gpujs.GPU({ mode: 'webasm' });
} catch (error) {
  startupError = error;
}

const kernels = new Map<string, IKernelRunShortcut>();

/** The kernel for `job`, compiled the first time its key comes. */
function kernelFor(job: KernelMessage): IKernelRunShortcut {
  if (startupError !== null || gpu === null) throw startupError;
  let kernel = kernels.get(job.key);
  if (kernel === undefined) {
    kernel = gpu.createKernel(job.source, { output: job.output, precision: 'single', tactic: 'precision' });
    kernels.set(job.key, kernel);
  }
  return kernel;
}

/** Copies a result (a flat Float32Array, or nested rows of them before the patch above took) into `out`, in order. */
function copyOut(result: KernelOutput, out: Float32Array): void {
  let offset = 0;
  const walk = (item: unknown): void => {
    if (item instanceof Float32Array) {
      out.set(item, offset);
      offset += item.length;
    } else for (const child of item as unknown[]) walk(child);
  };
  walk(result);
}

function runKernel(job: KernelMessage): void {
  const kernel = kernelFor(job);
  // as on the main thread: the flat output, a view of the kernel's memory (valid until this kernel runs again; copied out below)
  returnFlatOutput(kernel.kernel);
  const result = (kernel as unknown as (...args: Float32Array[]) => KernelOutput)(...job.args);
  returnFlatOutput(kernel.kernel);
  const ran = (kernel.kernel as unknown as { constructor: { name: string } }).constructor.name;
  if (ran !== 'WebAssemblyKernel') throw new Error(`the helper ran ${ran}, not webasm`);
  const finish = job.finish;
  if (finish !== undefined && result instanceof Float32Array) {
    // the loop that takes the result apart reads it where it is, in the kernel's memory
    helperLoop(finish.loop)({ ...finish.task, quads: result }, 0, finish.count);
    return;
  }
  copyOut(result, new Float32Array(job.out));
  if (finish !== undefined) helperLoop(finish.loop)(finish.task, 0, finish.count);
}

parentPort?.on('message', (job: KernelMessage | LoopMessage) => {
  const status = new Int32Array(job.status);
  try {
    if (job.kind === 'loop') helperLoop(job.loop)(job.task, job.first, job.end);
    else runKernel(job);
    Atomics.store(status, 0, DONE);
  } catch (error) {
    data.errors.postMessage(String((error as Error | undefined)?.stack ?? error));
    Atomics.store(status, 0, FAILED);
  }
  Atomics.notify(status, 0);
});

// listening: the main thread may hand over jobs now
const ready = new Int32Array(data.ready);
Atomics.store(ready, 0, DONE);
Atomics.notify(ready, 0);
