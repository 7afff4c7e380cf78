/**
 * What a kernel backend is: the interface every backend implements, and the
 * record of which backend really ran the last kernel. A leaf module (it
 * imports only the shape types), so the backends (gpujs-backend.ts) and the
 * registry that chooses among them (backend.ts) both import it, and neither
 * imports the other's module back.
 */
import type { Conv2dShape, FloatArray, MatmulShape } from './shapes.js';

/** The four kernel backends; see docs/backends.md. */
export type BackendName = 'webgl' | 'webasm' | 'cpu' | 'reference';
/** A backend name, or `auto` (`resolveAuto` in backend.ts chooses). */
export type BackendChoice = BackendName | 'auto';
/** Every backend name, in the order `auto` prefers them. */
export const BACKEND_NAMES: readonly BackendName[] = ['webgl', 'webasm', 'cpu', 'reference'];

/**
 * The four kernels every backend provides, on flat row-major buffers;
 * each returns a new buffer (see the kernel files in src/kernels/ for the formulas).
 */
export interface KernelBackend<T extends FloatArray = Float32Array> {
  readonly name: BackendName;
  /** C = op(A) · op(B); see kernels/matmul.ts. */
  matmul(a: T, b: T, shape: MatmulShape): T;
  /** y = conv(x, w) without bias; see kernels/conv2d-forward.ts. */
  conv2dForward(x: T, w: T, shape: Conv2dShape): T;
  /** ∂L/∂x from ∂L/∂y and w; see kernels/conv2d-grad-input.ts. */
  conv2dGradInput(gradOut: T, w: T, shape: Conv2dShape): T;
  /** ∂L/∂w from x and ∂L/∂y; see kernels/conv2d-grad-weight.ts. */
  conv2dGradWeight(x: T, gradOut: T, shape: Conv2dShape): T;
  /** Whether a helper thread works on this backend's arrays in shared memory (webasm on two threads; backend.ts then makes a step's buffers shared). */
  readonly usesHelperThread?: boolean;
  /** Resolves true once the helper thread listens for jobs (false: none, failed, or not within `timeoutMs`); waits without blocking. */
  helperStarted?(timeoutMs: number): Promise<boolean>;
  /** Frees compiled kernels and GPU contexts. */
  dispose(): void;
}

/** A loop over the indices [first, end) of `task` that a backend may split over two threads (split-loop.ts says what it may use). */
export type RangeLoop<Task> = (task: Task, first: number, end: number) => void;

/** A backend that can run half of a {@link RangeLoop} on a second thread (webasm with its helper; split-loop.ts). */
export interface SplitsLoops {
  /**
   * Runs `loop` over [0, count): [⌊count/2⌋, count) on the helper when it is
   * ready, `task` is in shared memory and the loop touches enough `values` to
   * pay for the hand-over; else in one piece here. Returns whether the helper took part.
   */
  splitLoop<Task extends object>(loop: RangeLoop<Task>, task: Task, count: number, values: number): boolean;
}

/** Which backend really executed the most recent kernel call. */
export interface KernelRun {
  op: string;
  requested: BackendName;
  executedOn: BackendName;
  /** gpu.js's kernel class, or "reference". */
  kernelClass: string;
}

let lastRun: KernelRun | null = null;

/** The backend that actually ran the last kernel (gpu.js can swap kernels on a first call). */
export function lastKernelRun(): KernelRun | null {
  return lastRun;
}

export function noteKernelRun(run: KernelRun): void {
  lastRun = run;
}
