/**
 * Every gpu.js kernel against its TypeScript reference twin (run in float64),
 * on odd shapes and on the models' real layer shapes, for every backend that
 * is available on this machine.
 *
 * Stated tolerance (max |kernel − reference| / max |reference|): 1e-5 for
 * matmul, conv forward and grad-input; 2e-5 for conv grad-weight, whose sums
 * run to 100,352 float32 terms (measured: ≤ 9e-7 and ≤ 4.7e-6).
 */
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { availableBackends, disposeBackends, isBackendAvailable, setBackend, type BackendName } from '../src/index.js';
import { createReferenceBackend } from '../src/kernels/backend.js';
import { withoutInputType } from '../src/kernels/helper-thread.js';
import type { Conv2dShape, MatmulShape } from '../src/kernels/shapes.js';
import { Random } from '../src/random.js';
import { relativeError } from './helpers.js';
import { layerConvShapes, matmulShapes, oddConvShapes } from './kernel-cases.js';

const reference = createReferenceBackend<Float64Array>((size) => new Float64Array(size));
const backends = availableBackends().filter((name): name is Exclude<BackendName, 'reference'> => name !== 'reference');

function randomValues(size: number, seed: number): Float64Array {
  const random = new Random(seed);
  return Float64Array.from({ length: size }, () => random.normal());
}

interface ConvData { x: Float64Array; w: Float64Array; g: Float64Array; forward: Float64Array; gradInput: Float64Array; gradWeight: Float64Array }
const convData = new Map<Conv2dShape, ConvData>();

/** Inputs and float64 reference results, computed once per shape and shared by all backends. */
function convReference(shape: Conv2dShape): ConvData {
  let data = convData.get(shape);
  if (data === undefined) {
    const x = randomValues(shape.batch * shape.inChannels * shape.height * shape.width, 1);
    const w = randomValues(shape.outChannels * shape.inChannels * shape.kernelHeight * shape.kernelWidth, 2);
    const g = randomValues(shape.batch * shape.outChannels * shape.outHeight * shape.outWidth, 3);
    data = { x, w, g, forward: reference.conv2dForward(x, w, shape), gradInput: reference.conv2dGradInput(g, w, shape), gradWeight: reference.conv2dGradWeight(x, g, shape) };
    convData.set(shape, data);
  }
  return data;
}

afterAll(() => disposeBackends());

it('finds at least one gpu.js backend on this machine', () => {
  expect(backends.length).toBeGreaterThan(0);
});

describe.each(backends)('%s kernels vs the TypeScript reference', (name) => {
  it.each(matmulShapes)('matmul %s', (_, shape: MatmulShape) => {
    const backend = setBackend(name);
    const aSize = shape.m * shape.k;
    const a = randomValues(aSize, 4);
    const b = randomValues(shape.k * shape.n, 5);
    const expected = reference.matmul(a, b, shape);
    expect(relativeError(backend.matmul(Float32Array.from(a), Float32Array.from(b), shape), expected)).toBeLessThan(1e-5);
  });

  it.each([...oddConvShapes, ...layerConvShapes])('conv2d %s', (_, shape: Conv2dShape) => {
    const backend = setBackend(name);
    const { x, w, g, forward, gradInput, gradWeight } = convReference(shape);
    expect(relativeError(backend.conv2dForward(Float32Array.from(x), Float32Array.from(w), shape), forward)).toBeLessThan(1e-5);
    expect(relativeError(backend.conv2dGradInput(Float32Array.from(g), Float32Array.from(w), shape), gradInput)).toBeLessThan(1e-5);
    expect(relativeError(backend.conv2dGradWeight(Float32Array.from(x), Float32Array.from(g), shape), gradWeight)).toBeLessThan(2e-5);
  });

  it.each([oddConvShapes[7], oddConvShapes[8]].filter((c) => c !== undefined) as [string, Conv2dShape][])('conv2d %s, called again with other values (webasm prepares inputs in the kernel\'s memory from the second call on)', (_, shape: Conv2dShape) => {
    const backend = setBackend(name);
    const { x, w, g } = convReference(shape);
    for (const seed of [11, 12]) {
      const x2 = x.map((value, i) => value * Math.cos(seed + i));
      const g2 = g.map((value, i) => value * Math.sin(seed + i));
      expect(relativeError(backend.conv2dForward(Float32Array.from(x2), Float32Array.from(w), shape), reference.conv2dForward(x2, w, shape))).toBeLessThan(1e-5);
      expect(relativeError(backend.conv2dGradInput(Float32Array.from(g2), Float32Array.from(w), shape), reference.conv2dGradInput(g2, w, shape))).toBeLessThan(1e-5);
      expect(relativeError(backend.conv2dGradWeight(Float32Array.from(x2), Float32Array.from(g2), shape), reference.conv2dGradWeight(x2, g2, shape))).toBeLessThan(2e-5);
    }
    const shapeM: MatmulShape = { m: 9, k: 7, n: 6, transA: false, transB: true };
    for (const seed of [13, 14]) {
      const a = randomValues(shapeM.m * shapeM.k, seed);
      const b = randomValues(shapeM.k * shapeM.n, seed + 10);
      expect(relativeError(backend.matmul(Float32Array.from(a), Float32Array.from(b), shapeM), reference.matmul(a, b, shapeM))).toBeLessThan(1e-5);
    }
  });

  it('returns a fresh array per call (a later call does not overwrite an earlier result)', () => {
    const backend = setBackend(name);
    const shape: MatmulShape = { m: 2, k: 2, n: 2, transA: false, transB: false };
    const first = backend.matmul(new Float32Array([1, 0, 0, 1]), new Float32Array([1, 2, 3, 4]), shape);
    backend.matmul(new Float32Array([0, 0, 0, 0]), new Float32Array([1, 2, 3, 4]), shape);
    expect(Array.from(first)).toEqual([1, 2, 3, 4]);
  });
});

describe.runIf(isBackendAvailable('webasm'))('webasm with its helper thread', () => {
  /** Runs the three conv kernels on a fresh webasm backend with ROBUSTNORM_THREADS=threads. */
  function convWithThreads(threads: string, shape: Conv2dShape): Float32Array[] {
    const saved = process.env.ROBUSTNORM_THREADS;
    process.env.ROBUSTNORM_THREADS = threads;
    try {
      disposeBackends();
      const backend = setBackend('webasm');
      const { x, w, g } = convReference(shape);
      return [
        backend.conv2dForward(Float32Array.from(x), Float32Array.from(w), shape),
        backend.conv2dGradInput(Float32Array.from(g), Float32Array.from(w), shape),
        backend.conv2dGradWeight(Float32Array.from(x), Float32Array.from(g), shape),
      ];
    } finally {
      if (saved === undefined) delete process.env.ROBUSTNORM_THREADS;
      else process.env.ROBUSTNORM_THREADS = saved;
      disposeBackends();
    }
  }

  it('passes Node\'s flags on to the helper without --input-type, in either spelling', () => {
    expect(withoutInputType(['--import', 'tsx', '--input-type', 'module', '--no-warnings'])).toEqual(['--import', 'tsx', '--no-warnings']);
    expect(withoutInputType(['--input-type=commonjs', '--import', 'tsx'])).toEqual(['--import', 'tsx']);
  });

  it('starts under `node --input-type=module -e` (it once waited for ever on a helper that could not load there)', () => {
    const script = `
      import { buildModel, modelConfig, rand, Random, noGrad } from './src/index.ts';
      const model = buildModel(modelConfig('small-cnn', 'rn'), 0).eval();
      console.log(noGrad(() => model.forward(rand([2, 1, 28, 28], { random: new Random(1) }))).shape.join('x'));`;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8', timeout: 60_000, env: { ...process.env, ROBUSTNORM_BACKEND: 'webasm', ROBUSTNORM_THREADS: '2' },
    });
    expect(result.stdout.trim(), result.stderr).toBe('2x10');
    expect(result.stderr).not.toMatch(/helper thread stopped/);
  });

  it.each(oddConvShapes.filter(([name]) => name.includes('split')))('splitting the batch (%s) changes no output value; the weight gradient only by rounding', (_, shape: Conv2dShape) => {
    const [forward1, gradInput1, gradWeight1] = convWithThreads('1', shape);
    const [forward2, gradInput2, gradWeight2] = convWithThreads('2', shape);
    expect(Array.from(forward2!)).toEqual(Array.from(forward1!));
    expect(Array.from(gradInput2!)).toEqual(Array.from(gradInput1!));
    expect(relativeError(gradWeight2!, gradWeight1!)).toBeLessThan(1e-6);
  });
});
