/**
 * Kernel backends: who computes matmul and the three convolution kernels.
 *
 *   webgl      gpu.js on WebGL (headless-gl in Node, WebGL2 in a browser)
 *   webasm     gpu.js's WebAssembly mode
 *   cpu        gpu.js's plain-JavaScript mode
 *   reference  the TypeScript twins in this folder (also used for float64), and
 *              the readable path for every op and layer (`fastPathFor` below)
 *
 * Everything else (element-wise ops, reductions, normalization) is plain
 * TypeScript in src/ops and src/nn.
 *
 * Ops are synchronous: a kernel call returns its result. That keeps model and
 * attack code plain (no `await` in every layer). gpu.js spreads WebAssembly
 * kernels over worker threads only when a kernel is called asynchronously,
 * so the webasm backend splits big convolutions over its own helper thread and
 * waits for it synchronously (helper-thread.ts).
 *
 * `auto` picks webgl when a GL context exists on real graphics hardware, and
 * webasm otherwise. It never picks a software rasterizer (Mesa llvmpipe,
 * SwiftShader): measured, they ran matmul at 0.2–1.3 GFLOP/s against ≈2.5–3
 * for the webasm kernels (docs/performance.md). Set the choice with `ROBUSTNORM_BACKEND` or `setBackend()`;
 * a backend asked for by name that cannot run here is an error, never a
 * silent fallback.
 */
import { conv2dForwardReference } from './conv2d-forward.js';
import { conv2dGradInputReference } from './conv2d-grad-input.js';
import { conv2dGradWeightReference } from './conv2d-grad-weight.js';
import { matmulReference } from './matmul.js';
import type { Conv2dShape, FloatArray, MatmulShape } from './shapes.js';
import { createGpuJsBackend, glRenderer, isGpuJsModeAvailable } from './gpujs-backend.js';

export { BACKEND_NAMES, lastKernelRun, noteKernelRun, type BackendChoice, type BackendName, type KernelBackend, type KernelRun } from './kernel-backend.js';
import { BACKEND_NAMES, noteKernelRun, type BackendChoice, type BackendName, type KernelBackend } from './kernel-backend.js';
import { environmentVariable } from '../environment.js';
import { setSharedBuffers } from '../buffer-pool.js';

/** The TypeScript twins, in float32 or float64. */
export function createReferenceBackend<T extends FloatArray>(allocate: (size: number) => T): KernelBackend<T> {
  const ran = (op: string): void => noteKernelRun({ op, requested: 'reference', executedOn: 'reference', kernelClass: 'reference' });
  const convIn = (s: Conv2dShape) => s.batch * s.inChannels * s.height * s.width;
  const convOut = (s: Conv2dShape) => s.batch * s.outChannels * s.outHeight * s.outWidth;
  const weightSize = (s: Conv2dShape) => s.outChannels * s.inChannels * s.kernelHeight * s.kernelWidth;
  return {
    name: 'reference',
    matmul: (a, b, s) => (ran('matmul'), matmulReference(a, b, s, allocate(s.m * s.n)) as T),
    conv2dForward: (x, w, s) => (ran('conv2dForward'), conv2dForwardReference(x, w, s, allocate(convOut(s))) as T),
    conv2dGradInput: (g, w, s) => (ran('conv2dGradInput'), conv2dGradInputReference(g, w, s, allocate(convIn(s))) as T),
    conv2dGradWeight: (x, g, s) => (ran('conv2dGradWeight'), conv2dGradWeightReference(x, g, s, allocate(weightSize(s))) as T),
    dispose: () => undefined,
  };
}

/** The float32 reference backend: the TypeScript twins of the kernels, exported as `referenceBackend`. */
const reference32 = createReferenceBackend((size) => new Float32Array(size));
const reference64 = createReferenceBackend((size) => new Float64Array(size));

/** Mesa's and Google's CPU rasterizers: a GL context that is slower than WebAssembly. */
export function isSoftwareRenderer(renderer: string): boolean {
  return /llvmpipe|softpipe|swiftshader|swrast|software/i.test(renderer);
}

/** Whether `name` can run on this machine. */
export function isBackendAvailable(name: BackendName): boolean {
  if (name === 'reference') return true;
  return isGpuJsModeAvailable(name);
}

/** The backends that can run on this machine. */
export function availableBackends(): BackendName[] {
  return BACKEND_NAMES.filter(isBackendAvailable);
}

/** What `auto` resolves to here, and why. */
export function resolveAuto(): { name: BackendName; reason: string } {
  if (isBackendAvailable('webgl')) {
    const renderer = glRenderer() ?? 'unknown renderer';
    if (!isSoftwareRenderer(renderer)) return { name: 'webgl', reason: `WebGL on ${renderer}` };
    if (isBackendAvailable('webasm')) return { name: 'webasm', reason: `WebGL runs on a software rasterizer (${renderer}), slower than WebAssembly` };
  }
  if (isBackendAvailable('webasm')) return { name: 'webasm', reason: 'no hardware WebGL context' };
  return { name: 'reference', reason: 'neither WebGL nor WebAssembly is available' };
}

function parseChoice(value: string, source: string): BackendChoice {
  if (value === 'auto' || (BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendChoice;
  throw new Error(`${source}: unknown backend "${value}"; choose one of auto, ${BACKEND_NAMES.join(', ')}`);
}

let active: KernelBackend | null = null;

function create(name: BackendName): KernelBackend {
  if (name === 'reference') return reference32;
  if (!isBackendAvailable(name)) {
    const hint = name === 'webgl'
      ? ' In Node, WebGL needs the optional `gl` package built (Debian: libxi-dev libglu1-mesa-dev libglew-dev pkg-config) and an X server (run under `xvfb-run -a`).'
      : '';
    throw new Error(`backend "${name}" was requested but is not available on this machine.${hint}`);
  }
  return createGpuJsBackend(name);
}

/**
 * Chooses the backend for float32 kernels: a name, or `auto`. Without a call,
 * the first kernel uses `ROBUSTNORM_BACKEND` (default `auto`).
 */
export function setBackend(choice: BackendChoice | string): KernelBackend {
  const parsed = parseChoice(choice, 'setBackend');
  const name = parsed === 'auto' ? resolveAuto().name : parsed;
  if (active?.name === name) return active;
  disposeBackends();
  active = create(name);
  // With a helper thread, the buffers of a step live in shared memory, so that
  // the helper can run half of each norm layer's and relu's loops (split-loop.ts).
  setSharedBuffers(active.usesHelperThread === true);
  return active;
}

/**
 * Resolves true once the active backend's helper thread listens for jobs
 * (false: no helper, it failed, or `timeoutMs` passed). A browser worker
 * awaits it before its first kernels: its nested helper starts only while
 * the worker's thread is free, and then compiles its kernels alongside.
 */
export function helperThreadStarted(timeoutMs: number): Promise<boolean> {
  return getBackend().helperStarted?.(timeoutMs) ?? Promise.resolve(false);
}

/** The float32 backend in use (chosen on first use). */
export function getBackend(): KernelBackend {
  if (active === null) setBackend(parseChoice(environmentVariable('ROBUSTNORM_BACKEND') ?? 'auto', 'ROBUSTNORM_BACKEND'));
  return active as KernelBackend;
}

/** float32 tensors run on the chosen backend; float64 always on the reference twins (gpu.js computes in float32). */
export function kernelsFor(dtype: 'float32'): KernelBackend<Float32Array>;
export function kernelsFor(dtype: 'float64'): KernelBackend<Float64Array>;
export function kernelsFor(dtype: 'float32' | 'float64'): KernelBackend<FloatArray>;
export function kernelsFor(dtype: 'float32' | 'float64'): KernelBackend<FloatArray> {
  return (dtype === 'float64' ? reference64 : getBackend()) as KernelBackend<FloatArray>;
}

/**
 * The one switch between the fast path and the readable one. float32 ops and
 * layers run their fused twins (the norms in src/fast/, relu's and add+relu's
 * loops on the float's bits) on every backend but `reference`; with
 * `setBackend('reference')` (or `ROBUSTNORM_BACKEND=reference`, or
 * `--backend reference` on the CLI) every op and layer runs the code its file
 * shows: the kernels' TypeScript twins, `batchNorm2d`, `robustNorm2d`, relu's
 * comparisons. float64 tensors (gradient checks) always take the readable path.
 */
export function fastPathFor(dtype: 'float32' | 'float64'): boolean {
  return dtype === 'float32' && getBackend().name !== 'reference';
}

/** Destroys every compiled kernel and GPU context, so nothing keeps the process alive. */
export function disposeBackends(): void {
  if (active?.usesHelperThread === true) setSharedBuffers(false);
  active?.dispose();
  active = null;
}

export { reference32 as referenceBackend };
