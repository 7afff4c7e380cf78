/**
 * What the webasm helper thread does with a job, in Node and in a browser
 * alike (the two entry modules, helper-worker.ts and
 * helper-worker-browser.ts, only receive the messages).
 *
 * It has its own gpu.js, with the same WebAssembly code generator as the
 * main thread (wasm-codegen/), and compiles each kernel's generated source
 * the first time its key comes (for its part of the batch). It runs the
 * split loops (split-loop.ts) by name from helper-loops.ts, the same
 * functions the main thread runs. Arrays arrive in shared memory, so
 * nothing is copied back: it writes the results where the main thread reads
 * them, then sets the job's status (DONE or FAILED, the message written
 * first) and wakes it.
 */
import * as gpujs from 'gpu.js';
import type { IKernelRunShortcut, KernelOutput } from 'gpu.js';
import { installWasmCodegen } from './wasm-codegen.js';
import { returnFlatOutput, useOptimizingWasmCompiler } from './gpujs-patches.js';
import { helperLoop } from './helper-loops.js';
import { DONE, writeErrorText, FAILED, type HelperWorkerData, type KernelMessage, type LoopMessage } from './helper-protocol.js';

type Compiler = { createKernel(source: string, settings: object): IKernelRunShortcut };

/** Copies a result (a flat Float32Array, or nested rows of them before the patch took) into `out`, in order. */
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

/**
 * gpu.js with the main thread's changes (gpujs-patches.ts) and code
 * generator. A failure here is answered on every kernel job (loops still
 * run), so the main thread never waits on a helper that cannot work.
 */
function startCompiler(codegen: HelperWorkerData['codegen']): { compiler: Compiler | null; startupError: unknown } {
  try {
    useOptimizingWasmCompiler();
    const installed = installWasmCodegen(gpujs, codegen === 'improved');
    if (codegen === 'improved' && !installed.installed) throw new Error(`the improved code generator did not install: ${installed.reason}`);
    return { compiler: new gpujs.GPU({ mode: 'webasm' }), startupError: null };
  } catch (error) {
    return { compiler: null, startupError: error };
  }
}

/** The job handler of a helper started with `data`; call {@link markReady} once messages reach it. */
export function helperJobs(data: HelperWorkerData): (job: KernelMessage | LoopMessage) => void {
  const { compiler, startupError } = startCompiler(data.codegen);
  const kernels = new Map<string, IKernelRunShortcut>();

  /** The kernel for `job`, compiled the first time its key comes. */
  const kernelFor = (job: KernelMessage): IKernelRunShortcut => {
    if (compiler === null) throw startupError;
    let kernel = kernels.get(job.key);
    if (kernel === undefined) {
      kernel = compiler.createKernel(job.source, { output: job.output, precision: 'single', tactic: 'precision' });
      kernels.set(job.key, kernel);
    }
    return kernel;
  };

  const runKernel = (job: KernelMessage): void => {
    const kernel = kernelFor(job);
    // as on the main thread: the flat output, a view of the kernel's memory (valid until this kernel runs again; copied out below)
    returnFlatOutput(kernel.kernel);
    const result = (kernel as unknown as (...args: Float32Array[]) => KernelOutput)(...job.args);
    returnFlatOutput(kernel.kernel); // again after the first run, which builds the memory the first call could not patch
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
  };

  return (job) => {
    const status = new Int32Array(job.status);
    try {
      if (job.kind === 'loop') helperLoop(job.loop)(job.task, job.first, job.end);
      else runKernel(job);
      Atomics.store(status, 0, DONE);
    } catch (error) {
      writeErrorText(data.errorText, String((error as Error | undefined)?.stack ?? error));
      Atomics.store(status, 0, FAILED);
    }
    Atomics.notify(status, 0);
  };
}

/** Tells the main thread the helper listens for jobs. */
export function markReady(data: HelperWorkerData): void {
  const ready = new Int32Array(data.ready);
  Atomics.store(ready, 0, DONE);
  Atomics.notify(ready, 0);
}
