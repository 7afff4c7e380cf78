/**
 * Shape descriptions for the four heavy kernels. A kernel is generated and
 * compiled once per distinct shape (every number here is baked into its source),
 * so these objects are also the kernel cache's keys.
 */

/** C[M×N] = op(A) · op(B), where op(A) is A [M×K] or, with `transA`, Aᵀ for A stored [K×M]. */
export interface MatmulShape {
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
}

/**
 * A 2-D convolution of x [N, C, H, W] with w [Co, C, KH, KW] into y [N, Co, OH, OW],
 * with OH = ⌊(H + 2·padding − KH) / stride⌋ + 1 (and likewise OW).
 */
export interface Conv2dShape {
  batch: number;
  inChannels: number;
  height: number;
  width: number;
  outChannels: number;
  kernelHeight: number;
  kernelWidth: number;
  stride: number;
  padding: number;
  outHeight: number;
  outWidth: number;
}

/** The output size of a convolution along one axis: ⌊(size + 2·padding − kernel) / stride⌋ + 1. */
export function convOutputSize(size: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}

export function shapeKey(op: string, shape: MatmulShape | Conv2dShape): string {
  return `${op}:${Object.values(shape).map((value) => (typeof value === 'boolean' ? (value ? 'T' : 'N') : value)).join('x')}`;
}

/**
 * Mesa's software GL (llvmpipe) silently stops a shader's loops after 65,535
 * iterations; every kernel here keeps a thread's total loop count at or below this.
 */
export const MAX_LOOP_ITERATIONS_PER_THREAD = 32768;

/** Float32 or Float64 buffers: the reference twins run in either precision. */
export type FloatArray = Float32Array | Float64Array;
