/**
 * The gpu.js backends (webgl, webasm, cpu). Each kernel is generated as source
 * text with its shape baked in (see the kernel files), compiled once per shape,
 * and cached. Settings (each measured on gpu.js 2.24.1):
 *   - `precision: 'single'` explicitly, so a context without float textures
 *     throws instead of silently computing in lossy 8-bit 'unsigned' mode;
 *   - `tactic: 'precision'` (highp), so no kernel runs in fp16;
 *   - loop bounds are literals in the source (gpu.js caps loops whose bound is
 *     an argument at 1,000 iterations, silently);
 *   - after each call we check which kernel class really ran: gpu.js may swap
 *     in its CPU kernel on a first call, and that must not pass unnoticed.
 */
import * as gpujs from 'gpu.js';
import { GPU, CPUKernel, HeadlessGLKernel, WebAssemblyKernel, WebGLKernel, type IKernelRunShortcut, type KernelOutput } from 'gpu.js';
import { installCheckedWasmCodegen, installWasmCodegen } from './wasm-codegen.js';
import { noteKernelRun, type BackendName, type KernelBackend, type RangeLoop, type SplitsLoops } from './kernel-backend.js';
import { conv2dForwardOnGpu } from './conv2d-forward.js';
import { conv2dGradInputOnGpu, transposedConvShape } from './conv2d-grad-input.js';
import { conv2dGradWeightOnGpu } from './conv2d-grad-weight.js';
import { matmulOnGpu } from './matmul.js';
import { conv2dForwardInImageLanes, conv2dGradInputInImageLanes } from './conv2d-image-lanes.js';
import { conv2dGradInputInPhases, phasesApply } from './conv2d-grad-input-phases.js';
import { HelperThread } from './helper-thread.js';
import { runHere, type Allocate, type KernelJob, type KernelRunner, type LoopCall, type PartPlan, type PartWork } from './kernel-runner.js';
import { inSharedMemory } from './shared-memory.js';
import { setSharedBuffers } from '../buffer-pool.js';
import { copyIntoPadding, padInput } from './layout.js';
import { shapeKey, type Conv2dShape, type MatmulShape } from './shapes.js';
import { environmentVariable } from '../environment.js';
import { availableCores, isNode as runsInNode, nodeBuiltin } from '../platform.js';

type GpuJsBackendName = Exclude<BackendName, 'reference'>;
type GpuMode = 'headlessgl' | 'webgl2' | 'webasm' | 'cpu';

const isNode = runsInNode();

function modeFor(name: GpuJsBackendName): GpuMode {
  if (name === 'webgl') return isNode ? 'headlessgl' : 'webgl2';
  return name;
}

export function isGpuJsModeAvailable(name: BackendName): boolean {
  switch (name) {
    case 'webgl':
      return isNode ? GPU.isHeadlessGLSupported : GPU.isWebGL2Supported;
    case 'webasm':
      return GPU.isWebAssemblySupported;
    case 'cpu':
      return true;
    default:
      return false;
  }
}

/**
 * What renders WebGL here. headless-gl reports only "ANGLE", so in Node on
 * Linux we look at which GL driver library the process loaded for a context:
 * Mesa's swrast_dri.so is the llvmpipe software rasterizer.
 */
export function glRenderer(): string | null {
  const fs = nodeBuiltin('node:fs');
  const nodeModule = nodeBuiltin('node:module');
  if (fs !== null && nodeModule !== null) {
    try {
      const context = nodeModule.createRequire(import.meta.url)('gl')(1, 1) as WebGLRenderingContext | null;
      if (context === null) return null;
      const maps = fs.readFileSync('/proc/self/maps', 'utf8');
      const driver = maps.match(/\/([^/\s]*(?:_dri|GLX_nvidia|GLX_mesa)[^/\s]*\.so)/g)?.map((path) => path.slice(1)) ?? [];
      context.getExtension('STACKGL_destroy_context')?.destroy();
      const names = [...new Set(driver)];
      if (names.some((name) => name.startsWith('swrast_dri') || name.startsWith('kms_swrast'))) return `Mesa llvmpipe (software, ${names.join(', ')})`;
      return names.length > 0 ? names.join(', ') : 'unknown GL driver';
    } catch {
      return null;
    }
  }
  const canvas = (globalThis as { document?: { createElement(tag: 'canvas'): HTMLCanvasElement } }).document?.createElement('canvas');
  const context = canvas?.getContext('webgl2');
  if (!context) return null;
  const info = context.getExtension('WEBGL_debug_renderer_info');
  return String(context.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : context.RENDERER));
}

/** Maps the kernel object gpu.js actually ran to our backend names. */
function executedOn(kernel: unknown): { name: BackendName; kernelClass: string } {
  if (kernel instanceof HeadlessGLKernel) return { name: 'webgl', kernelClass: 'HeadlessGLKernel' };
  if (kernel instanceof WebGLKernel) return { name: 'webgl', kernelClass: (kernel as object).constructor.name };
  if (kernel instanceof WebAssemblyKernel) return { name: 'webasm', kernelClass: 'WebAssemblyKernel' };
  if (kernel instanceof CPUKernel) return { name: 'cpu', kernelClass: 'CPUKernel' };
  return { name: 'cpu', kernelClass: String((kernel as object | undefined)?.constructor?.name) };
}

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

/**
 * gpu.js's webasm kernel builds its result by wrapping the flat output it
 * already has in one `subarray` per cell for Array(n) returns (≈400,000 of
 * them for the first conv of smallCnn, measured ≈10–20 ms a call). Replacing
 * its private `_shapeOutput` on our kernel instances hands back the flat
 * Float32Array instead. And that flat array was itself a `slice` (a copy) of
 * the output region of the kernel's WebAssembly memory: giving the memory's
 * view its own `slice` that returns a view instead skips that copy (12.8 MB
 * for a batch-128 forward convolution). The result is then only valid until
 * the same kernel runs again, which is why every caller here unpacks it at
 * once (unpackQuads, fromImageLanes, sumChunks, scatterColumns).
 * Checked by the kernel tests on every call path; if a gpu.js upgrade
 * renames these fields, this does nothing and flattenOutput copes.
 */
function returnFlatOutput(kernel: unknown): void {
  if (!(kernel instanceof WebAssemblyKernel)) return;
  if (!Object.prototype.hasOwnProperty.call(kernel, '_shapeOutput')) {
    Object.defineProperty(kernel, '_shapeOutput', { value: (data: Float32Array) => data });
  }
  const memory = (kernel as unknown as { _active?: { f32?: Float32Array } })._active?.f32;
  if (memory instanceof Float32Array && !Object.prototype.hasOwnProperty.call(memory, 'slice')) {
    Object.defineProperty(memory, 'slice', { value: (begin: number, end: number) => memory.subarray(begin, end) });
  }
}

/**
 * gpu.js copies every array argument into the kernel's WebAssembly memory
 * before a run (`utils.flattenTo`). An input the backend prepared straight
 * into that region (`allocateHere` below) would be copied onto itself; this
 * skips exactly that copy, for every gpu.js kernel, and leaves every other
 * copy as it was. Installed once; if a gpu.js upgrade renames the function,
 * nothing changes but the speed.
 */
function skipCopiesOntoThemselves(): void {
  const utils = (gpujs as unknown as { utils?: { flattenTo?: (array: unknown, target: Float32Array) => void; __skipsCopiesOntoThemselves?: boolean } }).utils;
  if (utils?.flattenTo === undefined || utils.__skipsCopiesOntoThemselves === true) return;
  const copy = utils.flattenTo;
  utils.flattenTo = function (array: unknown, target: Float32Array): void {
    const same = ArrayBuffer.isView(array) && array.buffer === target.buffer && array.byteOffset === target.byteOffset && (array as Float32Array).length === target.length;
    if (!same) copy.call(this, array, target);
  };
  utils.__skipsCopiesOntoThemselves = true;
}

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

/**
 * Which WebAssembly code generator compiles the kernels: `improved`
 * (wasm-codegen.ts, the default) or `stock` gpu.js, chosen with
 * ROBUSTNORM_WASM_CODEGEN. The improved one is installed once and checked on
 * a probe kernel; if that fails (say, after a gpu.js upgrade) we say so in
 * one line and carry on with stock gpu.js.
 */
let codegen: 'improved' | 'stock' | null = null;
export function wasmCodegen(): 'improved' | 'stock' {
  const wanted = environmentVariable('ROBUSTNORM_WASM_CODEGEN') ?? 'improved';
  if (wanted !== 'improved' && wanted !== 'stock') throw new Error(`ROBUSTNORM_WASM_CODEGEN must be improved or stock, got "${wanted}"`);
  if (codegen === wanted) return codegen;
  if (wanted === 'stock') {
    installWasmCodegen(gpujs, false);
    codegen = 'stock';
    return codegen;
  }
  const problem = installCheckedWasmCodegen(gpujs);
  if (problem !== null) console.warn(`robustnorm: the improved WebAssembly code generator failed its self-test (${problem}); using stock gpu.js, which is about 2-3x slower`);
  codegen = problem === null ? 'improved' : 'stock';
  return codegen;
}



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

class GpuJsBackend implements KernelBackend, KernelRunner, SplitsLoops {
  private readonly gpu: GPU;
  private readonly helper: HelperThread | null;
  private readonly kernels = new Map<string, IKernelRunShortcut>();
  /**
   * The zero-padded copy of a convolution input made by the forward pass,
   * handed to the weight gradient of that input (autograd passes the same
   * array to both) and dropped there. The forward pass always pads afresh,
   * so an array refilled in place between two forward passes is never stale.
   * Held weakly: it goes when the input does.
   */
  private readonly paddedInputs = new WeakMap<Float32Array, { shape: string; padded: Float32Array }>();

  padForward(x: Float32Array, shape: Conv2dShape): Float32Array {
    const padded = padInput(x, shape.batch * shape.inChannels, shape.height, shape.width, shape.padding);
    if (padded !== x) this.paddedInputs.set(x, { shape: shapeKey('conv', shape), padded });
    return padded;
  }

  padForGradWeight(x: Float32Array, shape: Conv2dShape): Float32Array {
    const cached = this.paddedInputs.get(x);
    this.paddedInputs.delete(x);
    if (cached !== undefined && cached.shape === shapeKey('conv', shape)) return cached.padded;
    const { batch: N, inChannels: C, height: H, width: W, padding: P } = shape;
    if (P === 0) return x;
    // a scratch buffer whose zeros stay in place: only the inside is written, split over both threads when it can be
    const padded = this.scratch(shapeKey('gradWeightPadded', shape), N * C * (H + 2 * P) * (W + 2 * P));
    this.splitLoop(copyIntoPadding, { x, padded, height: H, width: W, padHeight: P, padWidth: P }, N * C, x.length);
    return padded;
  }

  /**
   * Working buffers that never leave a kernel call (the weight gradient's
   * padded input, the scatter's padded sums), one per purpose and shape,
   * kept between calls: a training step then does not allocate them anew
   * (bench/allocation.ts measured 24 of a small-cnn step's 105 MB). Zero
   * when first made; each user says what it relies on of the previous contents.
   */
  private readonly scratchBuffers = new Map<string, Float32Array>();

  scratch(key: string, length: number): Float32Array {
    let buffer = this.scratchBuffers.get(key);
    if (buffer === undefined || buffer.length !== length) {
      // in shared memory with a helper thread, which may work in it (PartWork's loops)
      buffer = this.helper === null ? new Float32Array(length) : new Float32Array(new SharedArrayBuffer(4 * length));
      this.scratchBuffers.set(key, buffer);
    }
    return buffer;
  }

  /**
   * Where argument `argument` of kernel `key` will be read from on its next
   * run (webasm): a zero-filled view of the region of the kernel's memory
   * that gpu.js would copy it into, so that a single-use input (a transposed
   * or packed copy) is written there directly and not copied again. A fresh
   * array before the kernel's first run, and whenever the region is not
   * exactly `length` values.
   */
  readonly allocateHere: Allocate = (key, argument, length) => {
    const entry = (this.kernels.get(key)?.kernel as { _active?: { f32?: Float32Array; memory?: WebAssembly.Memory; layout?: { arrays?: Record<string, { index: number; offset: number; flatLength: number }> } } } | undefined)?._active;
    const record = Object.values(entry?.layout?.arrays ?? {}).find((array) => array.index === argument);
    const memory = entry?.f32;
    if (record === undefined || memory === undefined || memory.buffer !== entry?.memory?.buffer || record.flatLength !== length) return new Float32Array(length);
    return memory.subarray(record.offset / 4, record.offset / 4 + length).fill(0);
  };

  /**
   * In shared memory, which the helper thread reads without a copy
   * (helper-thread.ts); one array per kernel argument, kept between calls
   * (the helper is done with it when `inParts` returns) and zero-filled again.
   */
  private readonly sharedArguments = new Map<string, Float32Array>();

  private readonly allocateShared: Allocate = (key, argument, length) => {
    const name = `${key}#${argument}`;
    const kept = this.sharedArguments.get(name);
    if (kept !== undefined && kept.length === length) return kept.fill(0);
    const buffer = new Float32Array(new SharedArrayBuffer(4 * length));
    this.sharedArguments.set(name, buffer);
    return buffer;
  };

  constructor(readonly name: GpuJsBackendName) {
    if (name === 'webasm') {
      skipCopiesOntoThemselves();
      // Synchronous WebAssembly otherwise stays on V8's baseline (Liftoff) code:
      // measured +45% for matmul with optimized code.
      nodeBuiltin('node:v8')?.setFlagsFromString('--no-liftoff');
    }
    const generator = name === 'webasm' ? wasmCodegen() : null;
    this.gpu = new GPU({ mode: modeFor(name) });
    this.helper = generator !== null && webasmThreads() > 1 && HelperThread.available() ? new HelperThread(generator) : null;
    // the buffers of a step in shared memory, so that the helper can run half of a norm layer's loops (split-loop.ts)
    setSharedBuffers(this.helper !== null);
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

  /**
   * Runs a convolution kernel over the batch: in one piece, or, with a helper
   * thread (webasm), as two halves at once, images [0, h) on the helper and
   * [h, N) here. `plan` makes the job for a run of images starting at `first`
   * (the same kernel generator, for a smaller batch) and what to do with its
   * result. Every output value is computed exactly as in one piece; only the
   * weight gradient adds two half-batch sums, so its last bits depend on
   * whether the helper runs (ROBUSTNORM_THREADS, the number of cores), as do
   * those of matmul's Aᵀ·B split (see matmul).
   */
  inParts(op: string, shape: Conv2dShape, plan: PartPlan): void {
    const N = shape.batch;
    const work = N * shape.outChannels * shape.outHeight * shape.outWidth * shape.inChannels * shape.kernelHeight * shape.kernelWidth;
    // in the image-lanes layout each part is padded to whole quads of images: split at a multiple of 4
    const half = this.imageLanes(shape) ? 4 * Math.floor(N / 8) : Math.floor(N / 2);
    if (this.helper === null || half === 0 || work < MIN_WORK_TO_SPLIT || !this.helper.isReady()) {
      this.runPartHere(op, plan(shape, 0, this.allocateHere));
      return;
    }
    // The helper's part is planned first, straight into shared memory, and
    // handed over: its prepare loop, its kernel and its finish loop run
    // there in that order (each here instead when its task is not in shared
    // memory). This thread plans and runs its own part meanwhile.
    const helper = this.helper;
    const theirs = plan({ ...shape, batch: half }, 0, this.allocateShared);
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
    this.whileHelperRuns(waitAll, () => this.runPartHere(op, plan({ ...shape, batch: N - half }, half, this.allocateHere)));
    waitAll();
    if (finishedThere) return;
    if (finishLoop !== undefined) runHere(finishLoop);
    else theirs.finish?.(waitKernel() as Float32Array);
  }

  /** Prepares, runs and finishes one part on this thread. */
  private runPartHere(op: string, part: PartWork): void {
    if (part.prepare !== undefined) runHere(part.prepare);
    const quads = this.run(op, part.job);
    if (part.finishLoop !== undefined) runHere(part.finishLoop(quads));
    else part.finish?.(quads);
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

  helperTakes(work: number): boolean {
    return this.helper !== null && work >= MIN_WORK_TO_SPLIT && this.helper.isReady();
  }

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
    if (this.helper !== null) setSharedBuffers(false);
    this.helper?.dispose();
    this.scratchBuffers.clear();
    for (const kernel of this.kernels.values()) kernel.destroy();
    this.kernels.clear();
    this.gpu.destroy();
  }
}

export function createGpuJsBackend(name: GpuJsBackendName): KernelBackend {
  return new GpuJsBackend(name);
}
