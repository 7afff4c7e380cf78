/**
 * The gpu.js backends (webgl, webasm, cpu). Each kernel is generated as source
 * text with its shape baked in (see the kernel files), compiled once per shape,
 * and cached. Settings follow research/gpujs.md:
 *   - `precision: 'single'` explicitly, so a context without float textures
 *     throws instead of silently computing in lossy 8-bit 'unsigned' mode;
 *   - `tactic: 'precision'` (highp), so no kernel runs in fp16;
 *   - loop bounds are literals in the source (gpu.js caps loops whose bound is
 *     an argument at 1,000 iterations, silently);
 *   - after each call we check which kernel class really ran: gpu.js may swap
 *     in its CPU kernel on a first call, and that must not pass unnoticed.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import * as v8 from 'node:v8';
import { GPU, CPUKernel, HeadlessGLKernel, WebAssemblyKernel, WebGLKernel, type IKernelRunShortcut, type KernelOutput } from 'gpu.js';
import type { BackendName, KernelBackend } from './backend.js';
import { noteKernelRun } from './backend.js';
import { conv2dForwardKernelSource, packForwardWeights } from './conv2d-forward.js';
import { conv2dGradInputKernelSource, flipWeights, packGradInputWeights, scatterColumns, transposedConvShape } from './conv2d-grad-input.js';
import { conv2dGradWeightKernelSource, gradWeightChunking, sumChunks } from './conv2d-grad-weight.js';
import { matmulKernelSource } from './matmul.js';
import { padInput, quadCount, unpackQuads } from './layout.js';
import { MAX_LOOP_ITERATIONS_PER_THREAD, shapeKey, type Conv2dShape, type MatmulShape } from './shapes.js';

type GpuJsBackendName = Exclude<BackendName, 'reference'>;
type GpuMode = 'headlessgl' | 'webgl2' | 'webasm' | 'cpu';

const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;

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
  if (isNode) {
    try {
      const context = createRequire(import.meta.url)('gl')(1, 1) as WebGLRenderingContext | null;
      if (context === null) return null;
      const maps = readFileSync('/proc/self/maps', 'utf8');
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
 * Float32Array instead (a fresh `slice`, so still a new array per call).
 * Checked by the kernel tests on every call path; if a gpu.js upgrade
 * renames the method, this does nothing and flattenOutput copes.
 */
function returnFlatOutput(kernel: unknown): void {
  if (kernel instanceof WebAssemblyKernel && !Object.prototype.hasOwnProperty.call(kernel, '_shapeOutput')) {
    Object.defineProperty(kernel, '_shapeOutput', { value: (data: Float32Array) => data });
  }
}

class GpuJsBackend implements KernelBackend {
  private readonly gpu: GPU;
  private readonly kernels = new Map<string, IKernelRunShortcut>();
  /**
   * The zero-padded copy of a convolution input made by the forward pass,
   * handed to the weight gradient of that input (autograd passes the same
   * array to both) and dropped there. The forward pass always pads afresh,
   * so an array refilled in place between two forward passes is never stale.
   * Held weakly: it goes when the input does.
   */
  private readonly paddedInputs = new WeakMap<Float32Array, { shape: string; padded: Float32Array }>();

  private padForward(x: Float32Array, shape: Conv2dShape): Float32Array {
    const padded = padInput(x, shape.batch * shape.inChannels, shape.height, shape.width, shape.padding);
    if (padded !== x) this.paddedInputs.set(x, { shape: shapeKey('conv', shape), padded });
    return padded;
  }

  private padForGradWeight(x: Float32Array, shape: Conv2dShape): Float32Array {
    const cached = this.paddedInputs.get(x);
    this.paddedInputs.delete(x);
    if (cached !== undefined && cached.shape === shapeKey('conv', shape)) return cached.padded;
    return padInput(x, shape.batch * shape.inChannels, shape.height, shape.width, shape.padding);
  }

  constructor(readonly name: GpuJsBackendName) {
    if (name === 'webasm') {
      // Synchronous WebAssembly otherwise stays on V8's baseline (Liftoff) code:
      // measured +45% for matmul with optimized code (research/gpujs.md §5).
      v8.setFlagsFromString('--no-liftoff');
    }
    this.gpu = new GPU({ mode: modeFor(name) });
  }

  /**
   * Runs the kernel for `key` (compiling it on first use) and returns its
   * output as one flat array of `output`'s cells × 4 values (every kernel
   * here returns Array(4)).
   */
  private run(op: string, key: string, source: () => string, output: [number, number, number?], args: Float32Array[]): Float32Array {
    let kernel = this.kernels.get(key);
    if (kernel === undefined) {
      kernel = this.gpu.createKernel(source(), {
        output: output.filter((dim): dim is number => dim !== undefined),
        precision: 'single',
        tactic: 'precision',
      });
      this.kernels.set(key, kernel);
    }
    returnFlatOutput(kernel.kernel);
    const result = (kernel as unknown as (...inputs: Float32Array[]) => KernelOutput)(...args);
    const ran = executedOn(kernel.kernel);
    noteKernelRun({ op, requested: this.name, executedOn: ran.name, kernelClass: ran.kernelClass });
    if (ran.name !== this.name) {
      const reason = (kernel.kernel as { fallbackReason?: string }).fallbackReason ?? 'no reason given';
      throw new Error(`gpu.js ran ${op} on ${ran.kernelClass} instead of the ${this.name} backend (${reason})`);
    }
    returnFlatOutput(kernel.kernel);
    return flattenOutput(result, 4 * output.reduce((product: number, dim) => product * (dim ?? 1), 1));
  }

  matmul(a: Float32Array, b: Float32Array, shape: MatmulShape): Float32Array {
    if (shape.k > MAX_LOOP_ITERATIONS_PER_THREAD && this.name === 'webgl') {
      throw new Error(`matmul: inner dimension ${shape.k} exceeds ${MAX_LOOP_ITERATIONS_PER_THREAD}, the per-thread loop limit kept for software GL`);
    }
    const quads = this.run('matmul', shapeKey('matmul', shape), () => matmulKernelSource(shape), [shape.n, quadCount(shape.m)], [a, b]);
    return unpackQuads(quads, shape.m, 1, shape.n, new Float32Array(shape.m * shape.n));
  }

  conv2dForward(x: Float32Array, w: Float32Array, shape: Conv2dShape): Float32Array {
    const { batch: N, inChannels: C, height: H, width: W, outChannels: CO, padding: P, outHeight: OH, outWidth: OW } = shape;
    const xp = this.padForward(x, shape);
    const output: [number, number, number] = [OH * OW, N, quadCount(CO)];
    const quads = this.run('conv2dForward', shapeKey('conv2dForward', shape), () => conv2dForwardKernelSource(shape), output, [xp, packForwardWeights(w, shape)]);
    return unpackQuads(quads, CO, N, OH * OW, new Float32Array(N * CO * OH * OW));
  }

  conv2dGradInput(gradOut: Float32Array, w: Float32Array, shape: Conv2dShape): Float32Array {
    const { batch: N, inChannels: C, height: H, width: W, outChannels: CO, kernelHeight: KH, kernelWidth: KW, outHeight: OH, outWidth: OW } = shape;
    const transposed = transposedConvShape(shape);
    if (transposed !== null) {
      // stride 1: a forward convolution of the padded ∂L/∂y with the flipped kernel
      const { shape: t, padHeight, padWidth } = transposed;
      const paddedHeight = OH + 2 * padHeight;
      const paddedWidth = OW + 2 * padWidth;
      const gp = padInput(gradOut, N * CO, OH, OW, padHeight, padWidth);
      const source = () => conv2dForwardKernelSource(t, paddedHeight, paddedWidth);
      const quads = this.run('conv2dGradInput', shapeKey('conv2dGradInput', shape), source, [H * W, N, quadCount(C)], [gp, packForwardWeights(flipWeights(w, shape), t)]);
      return unpackQuads(quads, C, N, H * W, new Float32Array(N * C * H * W));
    }
    const output: [number, number, number] = [OH * OW, N, quadCount(C * KH * KW)];
    const quads = this.run('conv2dGradInput', shapeKey('conv2dGradInput', shape), () => conv2dGradInputKernelSource(shape), output, [gradOut, packGradInputWeights(w, shape)]);
    return scatterColumns(quads, shape, new Float32Array(N * C * H * W));
  }

  conv2dGradWeight(x: Float32Array, gradOut: Float32Array, shape: Conv2dShape): Float32Array {
    const { batch: N, inChannels: C, height: H, width: W, outChannels: CO, kernelHeight: KH, kernelWidth: KW, padding: P } = shape;
    const { chunks } = gradWeightChunking(shape);
    const taps = C * KH * KW;
    const output: [number, number, number] = [taps, quadCount(CO), chunks];
    const xp = this.padForGradWeight(x, shape);
    const partials = this.run('conv2dGradWeight', shapeKey('conv2dGradWeight', shape), () => conv2dGradWeightKernelSource(shape), output, [xp, gradOut]);
    const quads = chunks === 1 ? partials : sumChunks(partials, chunks, new Float32Array(partials.length / chunks));
    return unpackQuads(quads, CO, 1, taps, new Float32Array(CO * taps));
  }

  dispose(): void {
    for (const kernel of this.kernels.values()) kernel.destroy();
    this.kernels.clear();
    this.gpu.destroy();
  }
}

export function createGpuJsBackend(name: GpuJsBackendName): KernelBackend {
  return new GpuJsBackend(name);
}
