/**
 * What the gpu.js backends change in gpu.js 2.24.1 at run time (pinned
 * exactly in package.json), each measured, each doing nothing if an upgrade
 * renames what it patches (then only the speed changes; the kernel tests
 * check the results on every call path):
 *   - the WebAssembly code generator (wasm-codegen.ts), chosen by {@link wasmCodegen};
 *   - {@link returnFlatOutput}: a kernel's flat output, without the copies;
 *   - {@link skipCopiesOntoThemselves}: no copy of an argument onto itself;
 *   - {@link useOptimizingWasmCompiler}: V8's optimizing compiler for the kernels.
 * The webasm helper thread (helper-worker.ts) applies them to its own gpu.js,
 * all but skipCopiesOntoThemselves (its arguments are shared copies, never
 * written into a kernel's memory first).
 */
import * as gpujs from 'gpu.js';
import { WebAssemblyKernel } from 'gpu.js';
import { installCheckedWasmCodegen, installWasmCodegen } from './wasm-codegen.js';
import { environmentVariable } from '../environment.js';
import { nodeBuiltin } from '../platform.js';

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
 * renames these fields, this does nothing and flattenOutput (gpujs-backend.ts) copes.
 */
export function returnFlatOutput(kernel: unknown): void {
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
 * into that region (`allocateHere` in kernel-memory.ts) would be copied onto
 * itself; this skips exactly that copy, for every gpu.js kernel, and leaves
 * every other copy as it was. Installed once; if a gpu.js upgrade renames
 * the function, nothing changes but the speed.
 */
export function skipCopiesOntoThemselves(): void {
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
 * Synchronous WebAssembly otherwise stays on V8's baseline (Liftoff) code:
 * measured +45% for matmul with optimized code. (Node only; a page keeps its
 * browser's choice.)
 */
export function useOptimizingWasmCompiler(): void {
  nodeBuiltin('node:v8')?.setFlagsFromString('--no-liftoff');
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
