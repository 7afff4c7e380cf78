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
import { conv2dForwardKernelSource } from './conv2d-forward.js';
import { conv2dGradInputKernelSource } from './conv2d-grad-input.js';
import { conv2dGradWeightKernelSource, gradWeightChunking, sumChunks } from './conv2d-grad-weight.js';
import { matmulKernelSource } from './matmul.js';
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

/** gpu.js returns rows (2-D) or planes of rows (3-D); we want one flat row-major array. */
function flattenOutput(result: KernelOutput, size: number): Float32Array {
  if (result instanceof Float32Array) return result;
  const rows: Float32Array[] = [];
  for (const item of result as unknown as Array<Float32Array | Float32Array[]>) {
    if (item instanceof Float32Array) rows.push(item);
    else rows.push(...item);
  }
  const first = rows[0];
  const last = rows[rows.length - 1];
  // webasm's rows are consecutive views of one fresh buffer: wrap them without copying.
  if (first && last && first.buffer === last.buffer && last.byteOffset === first.byteOffset + (size - last.length) * 4) {
    return new Float32Array(first.buffer, first.byteOffset, size);
  }
  const flat = new Float32Array(size);
  let offset = 0;
  for (const row of rows) {
    flat.set(row, offset);
    offset += row.length;
  }
  return flat;
}

class GpuJsBackend implements KernelBackend {
  private readonly gpu: GPU;
  private readonly kernels = new Map<string, IKernelRunShortcut>();

  constructor(readonly name: GpuJsBackendName) {
    if (name === 'webasm') {
      // Synchronous WebAssembly otherwise stays on V8's baseline (Liftoff) code:
      // measured +45% for matmul with optimized code (research/gpujs.md §5).
      v8.setFlagsFromString('--no-liftoff');
    }
    this.gpu = new GPU({ mode: modeFor(name) });
  }

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
    const result = (kernel as unknown as (...inputs: Float32Array[]) => KernelOutput)(...args);
    const ran = executedOn(kernel.kernel);
    noteKernelRun({ op, requested: this.name, executedOn: ran.name, kernelClass: ran.kernelClass });
    if (ran.name !== this.name) {
      const reason = (kernel.kernel as { fallbackReason?: string }).fallbackReason ?? 'no reason given';
      throw new Error(`gpu.js ran ${op} on ${ran.kernelClass} instead of the ${this.name} backend (${reason})`);
    }
    return flattenOutput(result, output.reduce((product: number, dim) => product * (dim ?? 1), 1));
  }

  matmul(a: Float32Array, b: Float32Array, shape: MatmulShape): Float32Array {
    if (shape.k > MAX_LOOP_ITERATIONS_PER_THREAD && this.name === 'webgl') {
      throw new Error(`matmul: inner dimension ${shape.k} exceeds ${MAX_LOOP_ITERATIONS_PER_THREAD}, the per-thread loop limit kept for software GL`);
    }
    return this.run('matmul', shapeKey('matmul', shape), () => matmulKernelSource(shape), [shape.n, shape.m], [a, b]);
  }

  conv2dForward(x: Float32Array, w: Float32Array, shape: Conv2dShape): Float32Array {
    const output: [number, number, number] = [shape.outWidth, shape.outHeight, shape.batch * shape.outChannels];
    return this.run('conv2dForward', shapeKey('conv2dForward', shape), () => conv2dForwardKernelSource(shape), output, [x, w]);
  }

  conv2dGradInput(gradOut: Float32Array, w: Float32Array, shape: Conv2dShape): Float32Array {
    const output: [number, number, number] = [shape.width, shape.height, shape.batch * shape.inChannels];
    return this.run('conv2dGradInput', shapeKey('conv2dGradInput', shape), () => conv2dGradInputKernelSource(shape), output, [gradOut, w]);
  }

  conv2dGradWeight(x: Float32Array, gradOut: Float32Array, shape: Conv2dShape): Float32Array {
    const { chunks } = gradWeightChunking(shape);
    const perChunk = shape.inChannels * shape.kernelHeight * shape.kernelWidth;
    const output: [number, number, number] = [perChunk, shape.outChannels, chunks];
    const partials = this.run('conv2dGradWeight', shapeKey('conv2dGradWeight', shape), () => conv2dGradWeightKernelSource(shape), output, [x, gradOut]);
    return chunks === 1 ? partials : sumChunks(partials, chunks, new Float32Array(perChunk * shape.outChannels));
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
