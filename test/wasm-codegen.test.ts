/**
 * The improved WebAssembly code generator (src/kernels/wasm-codegen.ts) must
 * change how fast gpu.js's kernels run, never what they compute: every kernel
 * gives the same bits with it as with stock gpu.js, on odd shapes and on the
 * models' layer shapes, through both the main thread and the helper thread.
 */
import * as gpujs from 'gpu.js';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeBackends, isBackendAvailable, setBackend } from '../src/index.js';
import { wasmCodegen } from '../src/kernels/gpujs-backend.js';
import type { Conv2dShape, MatmulShape } from '../src/kernels/shapes.js';
import { CODEGEN_PASSES, installCheckedWasmCodegen, installWasmCodegen, withNeeds, type CodegenPass } from '../src/kernels/wasm-codegen.js';
import type { CodegenCounts } from '../src/kernels/wasm-codegen/function-node.js';
import { convCase } from './kernel-cases.js';
import { Random } from '../src/random.js';
import { layerConvShapes, matmulShapes, oddConvShapes } from './kernel-cases.js';

const hasWebasm = isBackendAvailable('webasm');

function values(size: number, seed: number): Float32Array {
  const random = new Random(seed);
  return Float32Array.from({ length: size }, () => random.normal());
}

/** Runs `work` on a fresh webasm backend compiled by `generator`. */
function withGenerator<T>(generator: 'stock' | 'improved', work: () => T): T {
  const saved = process.env.ROBUSTNORM_WASM_CODEGEN;
  process.env.ROBUSTNORM_WASM_CODEGEN = generator;
  try {
    disposeBackends();
    expect(wasmCodegen()).toBe(generator);
    return work();
  } finally {
    disposeBackends();
    if (saved === undefined) delete process.env.ROBUSTNORM_WASM_CODEGEN;
    else process.env.ROBUSTNORM_WASM_CODEGEN = saved;
  }
}

function expectSameBits(improved: Float32Array, stock: Float32Array): void {
  expect(improved.length).toBe(stock.length);
  const a = new Uint32Array(improved.buffer, improved.byteOffset, improved.length);
  const b = new Uint32Array(stock.buffer, stock.byteOffset, stock.length);
  let differing = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differing++;
  expect(differing).toBe(0);
}

afterAll(() => disposeBackends());

describe.skipIf(!hasWebasm)('improved wasm code generator', () => {
  it.each([...oddConvShapes, ...layerConvShapes])('conv2d %s: same bits as stock gpu.js', (_, shape: Conv2dShape) => {
    const x = values(shape.batch * shape.inChannels * shape.height * shape.width, 1);
    const w = values(shape.outChannels * shape.inChannels * shape.kernelHeight * shape.kernelWidth, 2);
    const g = values(shape.batch * shape.outChannels * shape.outHeight * shape.outWidth, 3);
    const run = () => {
      const backend = setBackend('webasm');
      return [backend.conv2dForward(x, w, shape), backend.conv2dGradInput(g, w, shape), backend.conv2dGradWeight(x, g, shape)];
    };
    const stock = withGenerator('stock', run);
    const improved = withGenerator('improved', run);
    for (let i = 0; i < 3; i++) expectSameBits(improved[i] as Float32Array, stock[i] as Float32Array);
  });

  it.each(matmulShapes)('matmul %s: same bits as stock gpu.js', (_, shape: MatmulShape) => {
    const a = values(shape.m * shape.k, 4);
    const b = values(shape.k * shape.n, 5);
    const stock = withGenerator('stock', () => setBackend('webasm').matmul(a, b, shape));
    const improved = withGenerator('improved', () => setBackend('webasm').matmul(a, b, shape));
    expectSameBits(improved, stock);
  });

  it('emits integer locals, vector loads, bottom-tested loops and splatting loads for the conv kernel, and none with stock', () => {
    const shape = layerConvShapes[1]?.[1] as Conv2dShape;
    const counts = () => ({ ...(gpujs.WebAssemblyFunctionNode.prototype as unknown as { __codegenCounts: { integerLocals: number; vectorLoads: number; bottomTestedLoops: number; splatLoads: number } }).__codegenCounts });
    const x = values(2 * shape.inChannels * shape.height * shape.width, 1);
    const w = values(shape.outChannels * shape.inChannels * 9, 2);
    withGenerator('improved', () => {
      const before = counts();
      setBackend('webasm').conv2dForward(x, w, { ...shape, batch: 2 });
      const after = counts();
      expect(after.integerLocals).toBeGreaterThan(before.integerLocals);
      expect(after.vectorLoads).toBeGreaterThan(before.vectorLoads);
      expect(after.bottomTestedLoops).toBeGreaterThan(before.bottomTestedLoops);
      expect(after.splatLoads).toBeGreaterThan(before.splatLoads);
    });
    withGenerator('stock', () => {
      const before = counts();
      setBackend('webasm').conv2dForward(x, w, { ...shape, batch: 2 });
      expect(counts()).toEqual(before);
    });
  });

  it('keeps a kernel whose lanes are not consecutive exact (runtime check and gather)', () => {
    // thread.x · 3 (step 3, gathered), thread.x with a wrap at 5 (checked at run time), and a negative offset
    const source = `function (a) {
  const row = Math.floor(this.thread.x / 5);
  const column = this.thread.x - row * 5;
  return a[this.thread.x * 3] + a[row * 7 + column] + a[this.thread.x + 2 - 1];
}`;
    const a = values(64, 6);
    const compute = () => {
      const gpu = new gpujs.GPU({ mode: 'webasm' });
      try {
        return Float32Array.from(gpu.createKernel(source, { output: [18], precision: 'single', tactic: 'precision' })(a) as Float32Array);
      } finally {
        void gpu.destroy();
      }
    };
    installWasmCodegen(gpujs, false);
    const stock = compute();
    installWasmCodegen(gpujs, true);
    const improved = compute();
    for (let x = 0; x < 18; x++) {
      const row = Math.floor(x / 5);
      expect(stock[x]).toBe(Math.fround(Math.fround((a[x * 3] as number) + (a[row * 7 + x - row * 5] as number)) + (a[x + 1] as number)));
    }
    expectSameBits(improved, stock);
  });

  it('leaves out the clamp only where lane 0\'s index is provably inside the array', () => {
    const counts = () => ({ ...(gpujs.WebAssemblyFunctionNode.prototype as unknown as { __codegenCounts: { unclampedVectorLoads: number } }).__codegenCounts });
    const compute = (source: string, length: number) => {
      const gpu = new gpujs.GPU({ mode: 'webasm' });
      try {
        return Float32Array.from(gpu.createKernel(source, { output: [16, 3], precision: 'single', tactic: 'precision' })(values(length, 9)) as Float32Array);
      } finally {
        void gpu.destroy();
      }
    };
    // a remainder through a name (0 or 1), a counter (0…2) and a constant term: the largest lane-0 index is 1·20 + 2 + 12 + 2 = 36 = 40 − 4
    const inside = `function (a) {
  const quotient = Math.floor(this.thread.y / 2);
  const rest = this.thread.y - quotient * 2;
  let s = 0;
  for (let k = 0; k < 3; k++) {
    s += a[rest * 20 + k + this.thread.x + 2];
  }
  return s;
}`;
    // the same read one value further: the last quad would read one value past the array (stock clamps it)
    const past = inside.replace('this.thread.x + 2]', 'this.thread.x + 3]');
    // a counter stepping by 4 takes 0 and 4 only (not 5): largest lane-0 index 4 + 12 + 20 = 36
    const stepping = `function (a) {
  let s = 0;
  for (let k = 0; k < 6; k += 4) {
    s += a[k + this.thread.x + 20];
  }
  return s;
}`;
    const steppingPast = stepping.replace('this.thread.x + 20]', 'this.thread.x + 21]');
    for (const [source, length, unclamped] of [[inside, 40, true], [past, 40, false], [stepping, 40, true], [steppingPast, 40, false]] as const) {
      installWasmCodegen(gpujs, false);
      const stock = compute(source, length);
      installWasmCodegen(gpujs, true);
      const before = counts().unclampedVectorLoads;
      const improved = compute(source, length);
      expect(counts().unclampedVectorLoads > before).toBe(unclamped);
      expectSameBits(improved, stock);
    }
  });

  it.each([
    ['an early return that only some lanes take', 16, `function (a) {
  if (this.thread.x >= 15) {
    return 0;
  }
  return a[this.thread.x + 1] - a[this.thread.x];
}`],
    ['a name reused for a non-integer value', 64, `function (a) {
  let s = 0;
  for (let i = 0; i < 2; i++) {
    const j = this.thread.x;
    s += a[j];
  }
  for (let i = 0; i < 2; i++) {
    const j = this.thread.x * 1.5;
    const m = Math.floor(j / 4);
    s += a[m * 4 + this.thread.x];
  }
  return s;
}`],
    ['rounding data (NaN, ±∞, −0 stay as they are)', 16, `function (a) {
  const q = Math.round(a[this.thread.x] * 3);
  return q;
}`],
    ['a loop counter name reused for a negative value', 16, `function (a) {
  let s = 0;
  for (let j = 0; j < 3; j++) {
    s += a[j];
  }
  let j = -1;
  s += a[j + 1];
  return s;
}`],
    ['bottom-tested loops: no trips, a step of 3, nested, and runs of sums between reads', 32, `function (a) {
  let s = 0;
  let t = 0;
  for (let i = 0; i < 0; i++) {
    s += 100;
  }
  for (let i = 2; i < 11; i += 3) {
    const v = a[this.thread.x + i];
    s += v * 2;
    t += v;
    const w = a[i];
    s += w;
    t -= w * v;
    for (let k = 0; k < 2; k++) {
      t += a[k + i];
    }
  }
  return s + t;
}`],
    ['continue, break and a lane-varying test inside bottom-tested loops', 32, `function (a) {
  let s = 0;
  for (let i = 0; i < 9; i++) {
    if (i === 2) {
      continue;
    }
    if (i === 7) {
      break;
    }
    const v = a[this.thread.x + i];
    s += v;
    if (v > 0) {
      s += 1;
    }
  }
  return s;
}`],
  ])('keeps %s exact', (_, length: number, source: string) => {
    const a = values(length, 7);
    a[1] = NaN;
    a[2] = Infinity;
    a[3] = -0.1;
    const compute = () => {
      const gpu = new gpujs.GPU({ mode: 'webasm' });
      try {
        return Float32Array.from(gpu.createKernel(source, { output: [16], precision: 'single', tactic: 'precision' })(a) as Float32Array);
      } finally {
        void gpu.destroy();
      }
    };
    installWasmCodegen(gpujs, false);
    const stock = compute();
    installWasmCodegen(gpujs, true);
    expectSameBits(compute(), stock);
  });

  it('reports why when gpu.js does not have what it patches', () => {
    expect(installCheckedWasmCodegen({})).toMatch(/no WebAssemblyFunctionNode/);
    expect(installCheckedWasmCodegen({ WebAssemblyFunctionNode: { prototype: {} } })).toMatch(/no stmtVariableDeclaration/);
  });
});

/** Which count each pass raises when it changes what gpu.js emits. */
const PASS_COUNTS: Record<CodegenPass, keyof CodegenCounts> = {
  'integer-locals': 'integerLocals',
  'vector-loads': 'vectorLoads',
  'folded-offsets': 'foldedOffsets',
  'splat-loads': 'splatLoads',
  'unclamped-vector-loads': 'unclampedVectorLoads',
  'bottom-tested-loops': 'bottomTestedLoops',
};

describe.skipIf(!hasWebasm)('each pass of the code generator on its own (src/kernels/wasm-codegen/)', () => {
  // a ResNet layer at batch 8 (the image-lanes layout), with a stride-2 one for the phases kernel; the helper off, so only this thread compiles
  const shapes = [convCase(8, 16, 14, 14, 16, 3, 1, 1), convCase(8, 16, 14, 14, 32, 3, 2, 1)];
  const counts = () => ({ ...(gpujs.WebAssemblyFunctionNode.prototype as unknown as { __codegenCounts: CodegenCounts }).__codegenCounts });
  const runKernels = () => shapes.flatMap((shape) => {
    const x = values(shape.batch * shape.inChannels * shape.height * shape.width, 11);
    const w = values(shape.outChannels * shape.inChannels * 9, 12);
    const g = values(shape.batch * shape.outChannels * shape.outHeight * shape.outWidth, 13);
    const backend = setBackend('webasm');
    return [backend.conv2dForward(x, w, shape), backend.conv2dGradInput(g, w, shape), backend.conv2dGradWeight(x, g, shape)].map((out) => Float32Array.from(out));
  });
  /** Runs the kernels compiled with `passes` installed (false: stock gpu.js), on a fresh backend that keeps them (wasmCodegen() has 'improved' cached). */
  const withPasses = (passes: readonly CodegenPass[] | false) => {
    const savedThreads = process.env.ROBUSTNORM_THREADS;
    process.env.ROBUSTNORM_THREADS = '1';
    try {
      return withGenerator('improved', () => {
        installWasmCodegen(gpujs, passes);
        disposeBackends();
        const before = counts();
        const outputs = runKernels();
        const after = counts();
        return { outputs, counts: after, before };
      });
    } finally {
      if (savedThreads === undefined) delete process.env.ROBUSTNORM_THREADS;
      else process.env.ROBUSTNORM_THREADS = savedThreads;
      installWasmCodegen(gpujs, true);
    }
  };

  it('builds each pass on what it needs', () => {
    expect([...withNeeds(['splat-loads'])].sort()).toEqual(['folded-offsets', 'integer-locals', 'splat-loads']);
    expect([...withNeeds(['unclamped-vector-loads'])].sort()).toEqual(['integer-locals', 'unclamped-vector-loads', 'vector-loads']);
    expect([...withNeeds(['integer-locals'])]).toEqual(['integer-locals']);
  });

  it.each(CODEGEN_PASSES.map((pass) => [pass]))('%s, with only the passes it builds on: applies, and gives the same bits as stock gpu.js', (pass: CodegenPass) => {
    const stock = withPasses(false).outputs;
    const alone = withPasses([pass]);
    const name = PASS_COUNTS[pass];
    expect(alone.counts[name]).toBeGreaterThan(0);
    // a pass not installed emits nothing of its own
    for (const other of CODEGEN_PASSES) if (!withNeeds([pass]).has(other)) expect(alone.counts[PASS_COUNTS[other]], other).toBe(0);
    alone.outputs.forEach((out, i) => expectSameBits(out, stock[i] as Float32Array));
  });
});
