/**
 * A better code generator for gpu.js's WebAssembly mode, installed at run time
 * over gpu.js 2.24.1 (pinned exactly in package.json). Written as a patch that
 * could go upstream: it changes what gpu.js emits, never what a kernel means.
 *
 * Why (measured on the project's conv forward kernel; docs/performance.md):
 * gpu.js declares every `const` and every loop counter as f32. Each array
 * read then does float index arithmetic, a saturating float→int conversion,
 * a clamp and four scalar loads with lane inserts, even when the four lanes
 * of the SIMD quad read four consecutive floats. One input channel of the
 * conv kernel was ≈595 wasm instructions, 72 of them the multiply-adds.
 *
 * What it changes, one pass a file in wasm-codegen/ (each with its
 * measurements; test/wasm-codegen.test.ts checks each alone and all together):
 *  1. Integer locals (integer-locals.ts). A `const` whose initializer is integer-valued
 *     (`this.thread.*`, integer literals and constants, `Math.floor/ceil/
 *     round/trunc` of an integer or of an integer divided by a literal,
 *     `Math.min/max` of integers, and `+ - *` of those) becomes an i32 local,
 *     converted once. A counting `for (let i = <int>; i < <int>; i++ /
 *     i += <int>)` whose body never assigns the counter gets an i32 counter.
 *     Integer arithmetic below 2²⁴ is exact in f32 too, so indices and the
 *     values computed from them are the same; the one difference in bits is
 *     that an integer const equal to zero after a negative product is +0
 *     where f32 gave −0. (Helper functions called with such a value see an
 *     Integer argument.)
 *  2. Vector loads (vector-loads.ts). In the SIMD walk (four consecutive thread.x per call), a
 *     read `a[i]` whose four lane indices are consecutive becomes one
 *     `v128.load` at lane 0's index instead of four scalar loads. Proven at
 *     compile time where i = uniform + this.thread.x, through const locals
 *     and `Math.floor(this.thread.x / d)` with d a multiple of 4 (a quad
 *     never straddles a multiple of d); where it cannot be proven, tested at
 *     run time (an i32x4 compare), with gpu.js's gather as the other branch;
 *     where the lanes provably step by another amount, gpu.js's gather as
 *     before. The vector index is clamped into the array (an unsigned compare
 *     and a select), so a wild index never reads outside it, as gpu.js's
 *     gather guarantees. Only where all four lanes are live threads: outside
 *     divergent branches, in kernels without a lane-divergent early return.
 *  3. Constant offsets in the load instruction (scalar-loads.ts), for reads `a[b + L]` whose
 *     base b is provably ≥ 0 (the address is the same).
 *  4. Splatting loads (scalar-loads.ts). A uniform read that enters a vector expression (a
 *     weight multiplied into four lanes) is one `v128.load32_splat` instead
 *     of `f32.load` and `f32x4.splat` (measured: conv forward 18.0 → 19.6
 *     GFLOP/s on one core).
 *  5. Vector loads without the clamp (in-bounds.ts) where interval arithmetic proves lane
 *     0's index inside the array for every quad (the 16-channel forward and
 *     input-gradient kernels: 12.6–13.5 → 14.8–15.1 GFLOP/s in alternating
 *     runs on a loaded machine), a constant term going into the offset.
 *  6. Loops tested at the bottom (bottom-tested-loops.ts), in a shape V8's
 *     optimizing compiler handles (≈11 → ≈20 GFLOP/s on the forward convolution).
 *
 * gpu.js's scalar and SIMD paths stay bit-identical to each other, and to
 * stock gpu.js: test/wasm-codegen.test.ts runs every kernel both ways on
 * odd shapes and compares the bits.
 *
 * The webasm helper thread installs it too, on its own gpu.js
 * (helper-worker.ts imports this module).
 */

import { CODEGEN_PASSES, PATCHED_METHODS, type CodegenCounts, type CodegenPass, type CodegenState, type FunctionNode, type StockMethods } from './wasm-codegen/function-node.js';
import { installIntegerLocals } from './wasm-codegen/integer-locals.js';
import { installVectorLoads } from './wasm-codegen/vector-loads.js';
import { installScalarLoads } from './wasm-codegen/scalar-loads.js';

/** What `installWasmCodegen` did. */
export interface WasmCodegenStatus {
  installed: boolean;
  /** Why not, when not installed. */
  reason?: string;
}

export { CODEGEN_PASSES, type CodegenPass } from './wasm-codegen/function-node.js';

/** The passes each pass builds on (an index must be an i32 before it can be a vector load's). */
const NEEDS: Record<CodegenPass, readonly CodegenPass[]> = {
  'integer-locals': [],
  'vector-loads': ['integer-locals'],
  'folded-offsets': ['integer-locals'],
  'splat-loads': ['folded-offsets'],
  'unclamped-vector-loads': ['vector-loads'],
  'bottom-tested-loops': ['integer-locals'],
};

/** `passes` and every pass they build on. */
export function withNeeds(passes: readonly CodegenPass[]): Set<CodegenPass> {
  const all = new Set<CodegenPass>();
  const add = (pass: CodegenPass): void => {
    if (all.has(pass)) return;
    all.add(pass);
    NEEDS[pass].forEach(add);
  };
  passes.forEach(add);
  return all;
}

/**
 * Installs the improved code generator on gpu.js's `WebAssemblyFunctionNode`
 * (idempotent): every pass, or `passes` and what they build on (for the
 * tests). `false` restores stock gpu.js (for the bit-identity tests).
 * Kernels compiled afterwards use the chosen generator.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- gpu.js's module, untyped where it is patched
export function installWasmCodegen(gpujs: any, enabled: boolean | readonly CodegenPass[] = true): WasmCodegenStatus {
  const proto = gpujs?.WebAssemblyFunctionNode?.prototype as (FunctionNode & Record<string, unknown> & { __stockCodegen?: StockMethods; __codegenCounts?: CodegenCounts }) | undefined;
  const missing = proto === undefined ? ['WebAssemblyFunctionNode'] : PATCHED_METHODS.filter((name) => typeof proto[name] !== 'function');
  if (proto === undefined || missing.length > 0) return { installed: false, reason: `gpu.js has no ${missing.join(', ')} (not version 2.24.1?)` };
  const stock = proto.__stockCodegen ?? (proto.__stockCodegen = Object.fromEntries(PATCHED_METHODS.map((name) => [name, proto[name]])) as StockMethods);
  for (const name of PATCHED_METHODS) proto[name] = stock[name];
  if (enabled === false) return { installed: false, reason: 'turned off' };
  const passes = withNeeds(enabled === true ? CODEGEN_PASSES : enabled);
  // what the improved paths emitted, read by the start-up self-test
  const counts = (proto.__codegenCounts = { integerLocals: 0, vectorLoads: 0, foldedOffsets: 0, bottomTestedLoops: 0, splatLoads: 0, unclampedVectorLoads: 0 });
  const state: CodegenState = { stock, counts, counters: new WeakSet(), risingCounters: new WeakSet(), counterRanges: new WeakMap(), passes };
  if (passes.has('integer-locals')) installIntegerLocals(proto, state);
  if (passes.has('vector-loads')) installVectorLoads(proto, state);
  if (passes.has('folded-offsets')) installScalarLoads(proto, state);
  return { installed: true };
}

const PROBE_SOURCE = `function (a) {
  const base = this.thread.x;
  let sum = 0;
  for (let i = 0; i < 3; i++) {
    sum += a[base + i * 16];
  }
  return sum;
}`;

/**
 * Installs the improved generator and checks, on a probe kernel, that gpu.js
 * really runs it: the probe must emit integer locals and a vector load, and
 * compute the right sums. Returns null when all is well, else why not (and
 * stock gpu.js is restored).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- gpu.js's module, untyped where it is patched
export function installCheckedWasmCodegen(gpujs: any): string | null {
  const status = installWasmCodegen(gpujs);
  if (!status.installed) return status.reason ?? 'not installed';
  const counts = gpujs.WebAssemblyFunctionNode.prototype.__codegenCounts as CodegenCounts;
  const before = { ...counts };
  const gpu = new gpujs.GPU({ mode: 'webasm' });
  let problem: string | null = null;
  try {
    const a = Float32Array.from({ length: 64 }, (_, i) => i * 0.5);
    const kernel = gpu.createKernel(PROBE_SOURCE, { output: [16], precision: 'single', tactic: 'precision' });
    const sums = kernel(a) as Float32Array;
    for (let x = 0; x < 16 && problem === null; x++) {
      const expected = (a[x] as number) + (a[x + 16] as number) + (a[x + 32] as number);
      if (sums[x] !== expected) problem = `the probe kernel computed ${sums[x]} for thread ${x}, expected ${expected}`;
    }
    if (problem === null && counts.integerLocals === before.integerLocals) problem = 'the probe kernel got no integer locals';
    if (problem === null && counts.vectorLoads === before.vectorLoads) problem = 'the probe kernel got no vector loads';
  } catch (error) {
    problem = `the probe kernel failed: ${(error as Error).message}`;
  } finally {
    gpu.destroy();
  }
  if (problem !== null) installWasmCodegen(gpujs, false);
  return problem;
}
