/**
 * The gpu.js backends (webgl, webasm, cpu): compile, cache and run. Each
 * kernel is generated as source text with its shape baked in (see the kernel
 * files), compiled once per shape, and cached. Settings (each measured on
 * gpu.js 2.24.1):
 *   - `precision: 'single'` explicitly, so a context without float textures
 *     throws instead of silently computing in lossy 8-bit 'unsigned' mode;
 *   - `tactic: 'precision'` (highp), so no kernel runs in fp16;
 *   - loop bounds are literals in the source (gpu.js caps loops whose bound is
 *     an argument at 1,000 iterations, silently);
 *   - after each call we check which kernel class really ran: gpu.js may swap
 *     in its CPU kernel on a first call, and that must not pass unnoticed.
 * It also picks each kernel's layout for the backend (the layout methods below).
 *
 * Its other jobs live beside it: gpujs-renderer.ts (which modes exist here,
 * what renders WebGL), gpujs-patches.ts (what we change in gpu.js),
 * kernel-memory.ts (where arguments and working buffers live), two-threads.ts
 * (the webasm helper thread's share of the work).
 */
import { GPU, type IKernelRunShortcut, type KernelOutput } from 'gpu.js';
import { noteKernelRun, type KernelBackend, type RangeLoop, type SplitsLoops } from './kernel-backend.js';
import { conv2dForwardOnGpu } from './conv2d-forward.js';
import { conv2dGradInputOnGpu, transposedConvShape } from './conv2d-grad-input.js';
import { conv2dGradWeightOnGpu } from './conv2d-grad-weight.js';
import { matmulOnGpu } from './matmul.js';
import { conv2dForwardInImageLanes, conv2dGradInputInImageLanes } from './conv2d-image-lanes.js';
import { conv2dGradInputInPhases, phasesApply } from './conv2d-grad-input-phases.js';
import { runHere, type Allocate, type KernelJob, type KernelRunner, type PartPlan, type PartWork } from './kernel-runner.js';
import { KernelMemory } from './kernel-memory.js';
import { returnFlatOutput, skipCopiesOntoThemselves, useOptimizingWasmCompiler, wasmCodegen } from './gpujs-patches.js';
import { executedOn, modeFor, type GpuJsBackendName } from './gpujs-renderer.js';
import { twoThreadsFor, type TwoThreads } from './two-threads.js';
import type { Conv2dShape, MatmulShape } from './shapes.js';
import { environmentVariable } from '../environment.js';

export { glRenderer, isGpuJsModeAvailable } from './gpujs-renderer.js';
export { wasmCodegen } from './gpujs-patches.js';
export { webasmThreads } from './two-threads.js';

/**
 * gpu.js returns nested arrays: rows (2-D) or planes of rows (3-D) of
 * Float32Arrays, and for Array(4) returns one 4-long Float32Array per cell.
 * We want one flat row-major array (for Array(4): [cell][4]).
 */
function flattenOutput(result: KernelOutput, size: number): Float32Array {
  if (result instanceof Float32Array) return result;
  const leaves: Float32Array[] = [];
  const walk = (item: unknown): void => {
    if (item instanceof Float32Array) leaves.push(item);
    else for (const child of item as unknown[]) walk(child);
  };
  walk(result);
  const first = leaves[0];
  const last = leaves[leaves.length - 1];
  // webasm's rows are consecutive views of one fresh buffer: wrap them without copying.
  if (first && last && first.buffer === last.buffer && last.byteOffset === first.byteOffset + (size - last.length) * 4) {
    return new Float32Array(first.buffer, first.byteOffset, size);
  }
  const flat = new Float32Array(size);
  let offset = 0;
  for (const leaf of leaves) {
    flat.set(leaf, offset);
    offset += leaf.length;
  }
  return flat;
}

class GpuJsBackend implements KernelBackend, KernelRunner, SplitsLoops {
  private readonly gpu: GPU;
  private readonly kernels = new Map<string, IKernelRunShortcut>();
  private readonly threads: TwoThreads;
  private readonly memory: KernelMemory;

  constructor(readonly name: GpuJsBackendName) {
    if (name === 'webasm') {
      skipCopiesOntoThemselves();
      useOptimizingWasmCompiler();
    }
    const generator = name === 'webasm' ? wasmCodegen() : null;
    this.gpu = new GPU({ mode: modeFor(name) });
    this.threads = twoThreadsFor(generator);
    this.memory = new KernelMemory((key) => this.kernels.get(key), this.threads.hasHelper, (loop, task, count, values) => this.threads.splitLoop(loop, task, count, values));
  }

  /** Whether a helper thread works on this backend's arrays in shared memory (backend.ts then makes the step's buffers shared). */
  get usesHelperThread(): boolean {
    return this.threads.hasHelper;
  }

  helperStarted(timeoutMs: number): Promise<boolean> {
    return this.threads.helperStarted(timeoutMs);
  }

  /**
   * Runs a kernel job (compiling its source on first use) and returns its
   * output as one flat array of the output's cells × 4 values (every kernel
   * here returns Array(4)). On webasm that array is a view of the kernel's
   * memory (returnFlatOutput): read it before the same kernel runs again.
   */
  run(op: string, job: KernelJob): Float32Array {
    let kernel = this.kernels.get(job.key);
    if (kernel === undefined) {
      kernel = this.gpu.createKernel(job.source(), { output: job.output, precision: 'single', tactic: 'precision' });
      this.kernels.set(job.key, kernel);
    }
    returnFlatOutput(kernel.kernel);
    const result = (kernel as unknown as (...inputs: Float32Array[]) => KernelOutput)(...job.args);
    const ran = executedOn(kernel.kernel);
    noteKernelRun({ op, requested: this.name, executedOn: ran.name, kernelClass: ran.kernelClass });
    if (ran.name !== this.name) {
      const reason = (kernel.kernel as { fallbackReason?: string }).fallbackReason ?? 'no reason given';
      throw new Error(`gpu.js ran ${op} on ${ran.kernelClass} instead of the ${this.name} backend (${reason})`);
    }
    returnFlatOutput(kernel.kernel);
    return flattenOutput(result, 4 * job.output.reduce((product, dim) => product * dim, 1));
  }

  // ---- the two threads (two-threads.ts) ----------------------------------

  inParts(op: string, shape: Conv2dShape, plan: PartPlan): void {
    // in the image-lanes layout each part is padded to whole quads of images: split at a multiple of 4
    const half = this.imageLanes(shape) ? 4 * Math.floor(shape.batch / 8) : Math.floor(shape.batch / 2);
    this.threads.inParts(shape, half, plan, { runPart: (part) => this.runPartHere(op, part), allocateHere: this.allocateHere, allocateShared: this.memory.allocateShared });
  }

  /** Prepares, runs and finishes one part on this thread. */
  private runPartHere(op: string, part: PartWork): void {
    if (part.prepare !== undefined) runHere(part.prepare);
    const quads = this.run(op, part.job);
    if (part.finishLoop !== undefined) runHere(part.finishLoop(quads));
    else part.finish?.(quads);
  }

  splitLoop<Task extends object>(loop: RangeLoop<Task>, task: Task, count: number, values: number): boolean {
    return this.threads.splitLoop(loop, task, count, values);
  }

  helperTakes(work: number): boolean {
    return this.threads.helperTakes(work);
  }

  startOnHelper(job: KernelJob): () => Float32Array {
    return this.threads.startOnHelper(job);
  }

  whileHelperRuns<T>(wait: () => unknown, work: () => T): T {
    return this.threads.whileHelperRuns(wait, work);
  }

  // ---- kernel memory (kernel-memory.ts) -----------------------------------

  get allocateHere(): Allocate {
    return this.memory.allocateHere;
  }

  scratch(key: string, length: number): Float32Array {
    return this.memory.scratch(key, length);
  }

  padForward(x: Float32Array, shape: Conv2dShape): Float32Array {
    return this.memory.padForward(x, shape);
  }

  padForGradWeight(x: Float32Array, shape: Conv2dShape): Float32Array {
    return this.memory.padForGradWeight(x, shape);
  }

  // ---- layouts: which kernel runs each op here ------------------------------

  /**
   * Whether the weight gradient runs with output channels in the SIMD lanes
   * (conv2dGradWeightChannelLanesSource): on webasm, unless
   * ROBUSTNORM_CONV_LAYOUT=nchw. Measured on one core (batch 128, 16→32,
   * 28²): ≈7 GFLOP/s with taps in the lanes (four scalar loads per term),
   * ≈17 with channels. WebGL keeps the chunked kernel: its loops stay under
   * software GL's cap, and it has no lanes to feed.
   */
  private channelLanesGradWeight(): boolean {
    return this.name === 'webasm' && environmentVariable('ROBUSTNORM_CONV_LAYOUT') !== 'nchw';
  }

  /**
   * Whether a convolution's forward pass (and its stride-1 input gradient,
   * which is a forward convolution) runs in the image-lanes layout
   * (conv2d-image-lanes.ts): on webasm, for batches of 8 or more, unless
   * ROBUSTNORM_CONV_LAYOUT=nchw. WebGL has no SIMD lanes to feed and keeps
   * the NCHW kernels, as do small batches. Measured on one core: about 1.5×
   * faster at stride 2 and on 7×7 and 14×14 maps, the same on 28×28 at
   * stride 1. The stride-2 input gradient runs in this layout too, as one
   * kernel over 2×2 blocks of ∂L/∂x (conv2d-grad-input-phases.ts; earlier
   * tries, a gather with a test per tap and s² separate stride-1
   * convolutions, were slower). Other strides, and ResNet's 1×1 stride-2
   * shortcut, keep the GEMM and scatter. The weight gradient has a layout of
   * its own (channelLanesGradWeight).
   */
  private imageLanes(shape: Conv2dShape): boolean {
    return this.name === 'webasm' && shape.batch >= 8 && environmentVariable('ROBUSTNORM_CONV_LAYOUT') !== 'nchw';
  }

  matmul(a: Float32Array, b: Float32Array, shape: MatmulShape): Float32Array {
    return matmulOnGpu(this, a, b, shape);
  }

  conv2dForward(x: Float32Array, w: Float32Array, shape: Conv2dShape): Float32Array {
    return this.imageLanes(shape) ? conv2dForwardInImageLanes(this, x, w, shape) : conv2dForwardOnGpu(this, x, w, shape);
  }

  conv2dGradInput(gradOut: Float32Array, w: Float32Array, shape: Conv2dShape): Float32Array {
    const transposed = transposedConvShape(shape);
    if (transposed !== null && this.imageLanes(shape)) return conv2dGradInputInImageLanes(this, gradOut, w, shape, transposed);
    if (phasesApply(shape) && this.imageLanes(shape)) return conv2dGradInputInPhases(this, gradOut, w, shape);
    return conv2dGradInputOnGpu(this, gradOut, w, shape);
  }

  conv2dGradWeight(x: Float32Array, gradOut: Float32Array, shape: Conv2dShape): Float32Array {
    return conv2dGradWeightOnGpu(this, x, gradOut, shape, this.channelLanesGradWeight() ? 'channel-lanes' : 'chunked');
  }

  dispose(): void {
    this.threads.dispose();
    this.memory.clear();
    for (const kernel of this.kernels.values()) kernel.destroy();
    this.kernels.clear();
    this.gpu.destroy();
  }
}

export function createGpuJsBackend(name: GpuJsBackendName): KernelBackend {
  return new GpuJsBackend(name);
}
