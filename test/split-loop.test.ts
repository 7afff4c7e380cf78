/**
 * Plain JavaScript loops split over the webasm backend's two threads
 * (src/kernels/split-loop.ts): the helper runs its half of the indices, a
 * task outside shared memory runs in one piece, an error on the helper
 * reaches the caller, and the norm layers (whose channel loops are split
 * this way) give the same numbers bit for bit as in one piece.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchNorm2d, conv2d, LayerNorm, disposeBackends, reuseBuffers, RobustNorm2d, setBackend, Tensor, type Module, type NormStatistics } from '../src/index.js';
import { addRelu, normRelu } from '../src/internals.js';
import { HelperThread, loopsStartedOnHelper } from '../src/kernels/helper-thread.js';
import { sharedFloat64, splitLoop } from '../src/kernels/split-loop.js';
import { addValues } from '../src/kernels/elementwise-loops.js';
import { HELPER_LOOPS } from '../src/kernels/helper-loops.js';
import { ERROR_TEXT_BYTES, errorTextBuffer, readErrorText, writeErrorText } from '../src/kernels/helper-protocol.js';
import { randomTensor } from './helpers.js';

/** values[i] = i + offset for i in [first, end): a loop the helper does not have (it is not in helper-loops.ts). */
function writeIndexPlusOffset(task: { values: Float64Array; offset: number }, first: number, end: number): void {
  for (let i = first; i < end; i++) task.values[i] = i + task.offset;
}

/** x = 0, 1, 2, …, y = offset, out zeros: addValues's task, all in shared memory. */
function additionTask(length: number, offset: number): { x: Float64Array; y: Float64Array; out: Float64Array } {
  const x = sharedFloat64(length);
  const y = sharedFloat64(length);
  for (let i = 0; i < length; i++) (x[i] = i), (y[i] = offset);
  return { x, y, out: sharedFloat64(length) };
}

let savedThreads: string | undefined;
beforeAll(() => {
  savedThreads = process.env.ROBUSTNORM_THREADS;
  process.env.ROBUSTNORM_THREADS = '2';
  disposeBackends();
  setBackend('webasm');
});
afterAll(() => {
  if (savedThreads === undefined) delete process.env.ROBUSTNORM_THREADS;
  else process.env.ROBUSTNORM_THREADS = savedThreads;
  disposeBackends();
});

describe('splitLoop on webasm with its helper thread', () => {
  it('runs the upper half of the indices on the helper and the rest here', () => {
    const task = additionTask(11, 0.5);
    const before = loopsStartedOnHelper();
    splitLoop(addValues, task, 11, Infinity);
    expect(loopsStartedOnHelper()).toBe(before + 1);
    expect(Array.from(task.out)).toEqual(Array.from({ length: 11 }, (_, i) => i + 0.5));
  });

  it('runs a task with an array outside shared memory in one piece, here', () => {
    const task = { ...additionTask(7, 2), out: new Float64Array(7) };
    const before = loopsStartedOnHelper();
    splitLoop(addValues, task, 7, Infinity);
    expect(loopsStartedOnHelper()).toBe(before);
    expect(Array.from(task.out)).toEqual([2, 3, 4, 5, 6, 7, 8]);
  });

  it('runs a loop over too few values to pay for the hand-over in one piece, here', () => {
    const task = additionTask(5, 0);
    const before = loopsStartedOnHelper();
    splitLoop(addValues, task, 5, 5);
    expect(loopsStartedOnHelper()).toBe(before);
    expect(Array.from(task.out)).toEqual([0, 1, 2, 3, 4]);
  });

  it('runs a small loop that the helper does not have here, and refuses a long one by name, then keeps working', () => {
    const short = { values: sharedFloat64(5), offset: 1 };
    splitLoop(writeIndexPlusOffset, short, 5, 5);
    expect(Array.from(short.values)).toEqual([1, 2, 3, 4, 5]);
    expect(() => splitLoop(writeIndexPlusOffset, { values: sharedFloat64(4), offset: 0 }, 4, Infinity))
      .toThrow(/helper thread failed on loop writeIndexPlusOffset[\s\S]*has no loop "writeIndexPlusOffset" \(add it to src\/kernels\/helper-loops.ts\)/);
    const task = additionTask(4, 1);
    splitLoop(addValues, task, 4, Infinity);
    expect(Array.from(task.out)).toEqual([1, 2, 3, 4]);
  });

  it('leaves a helper whose module cannot load unused, with one warning, instead of failing every job', () => {
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (message: string) => void warnings.push(message);
    const helper = new HelperThread('improved', { moduleUrl: new URL('./no-such-helper-worker.js', import.meta.url).href, typescriptLoader: null });
    try {
      expect(helper.isReady()).toBe(false);
      expect(helper.isReady()).toBe(false);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/helper thread could not start \(.*no-such-helper-worker.*\); running on one thread/);
    } finally {
      console.warn = warn;
      helper.dispose();
    }
  });

  it('has every loop it may be handed listed under its own name', () => {
    for (const [name, loop] of Object.entries(HELPER_LOOPS)) expect(loop.name).toBe(name);
    expect(Object.keys(HELPER_LOOPS)).toEqual(expect.arrayContaining(['clampRun', 'maskRun', 'addValues', 'addThenClamp', 'batchNormForwardChannels', 'robustNormBackwardChannels', 'copyIntoPadding']));
  });
});

/** `tensor`'s values in shared memory (or an ordinary copy), as the buffer pool hands them out while the backend has a helper. */
function placed(tensor: Tensor, shared: boolean): Tensor {
  const data = shared ? new Float32Array(new SharedArrayBuffer(4 * tensor.size)) : new Float32Array(tensor.size);
  data.set(tensor.data);
  return new Tensor(data, tensor.shape);
}

function bits(tensor: Tensor | null): number[] {
  return tensor === null ? [] : Array.from(new Uint32Array(Float32Array.from(tensor.data).buffer));
}

describe.each([
  ['BatchNorm2d', (channels: number) => new BatchNorm2d(channels)],
  ['RobustNorm2d', (channels: number) => new RobustNorm2d(channels)],
] as Array<[string, (channels: number) => Module]>)('%s with half of its channels on the helper', (_, makeLayer) => {
  const cases: Array<[string, boolean, NormStatistics, boolean]> = [
    ['training', true, 'batch', false],
    ['training, ReLU folded in', true, 'batch', true],
    ['inference, batch statistics, ReLU', false, 'batch', true],
    ['inference, population statistics, frozen γ and β', false, 'population', false],
  ];
  it.each(cases)('%s: the same output, gradients and running statistics, bit for bit, as in one piece', (_, training, statistics, relu) => {
    const shape = [8, 5, 41, 41]; // 67,240 values: enough to split (MIN_VALUES_TO_SPLIT)
    // values rounded to quarters, so that max and min are tied
    const x = randomTensor(shape, 1).to('float32');
    for (let i = 0; i < x.size; i++) x.data[i] = Math.round((x.data[i] as number) * 4) / 4;
    const gradOut = randomTensor(shape, 2).to('float32');
    const run = (shared: boolean): number[][] => {
      const layer = makeLayer(5);
      layer.train(training);
      layer.setNormStatistics(statistics);
      if (!training && statistics === 'population') for (const parameter of layer.parameters()) parameter.requiresGrad = false;
      return reuseBuffers(() => {
        // the layer's own arrays come from the pool (shared); its input and ∂L/∂y are placed in shared memory or not
        const input = placed(x, shared).requireGrad(true);
        const y = relu ? normRelu(layer, input) : layer.forward(input);
        y.backward(placed(gradOut, shared));
        return [y, input.grad, ...layer.parameters().map((p) => p.grad), ...layer.namedBuffers().map(([, b]) => b)].map((t) => bits(t ?? null));
      });
    };
    const before = loopsStartedOnHelper();
    const split = run(true);
    expect(loopsStartedOnHelper()).toBe(before + 2); // forward and backward
    const whole = run(false);
    expect(loopsStartedOnHelper()).toBe(before + 2);
    expect(split).toEqual(whole);
  });
});

describe('LayerNorm with half of its samples (and of its channels, for ∂L/∂γ, ∂L/∂β) on the helper', () => {
  // forward: one loop; backward: the ReLU's mask, ∂L/∂γ and ∂L/∂β, ∂L/∂x (each only where needed)
  const cases: Array<[string, boolean, boolean, number]> = [
    ['training', false, false, 3],
    ['ReLU folded in', true, false, 4],
    ['frozen γ and β, ReLU (an attack)', true, true, 3],
  ];
  it.each(cases)('%s: the same output and gradients, bit for bit, as in one piece', (_, relu, frozen, loops) => {
    const shape = [8, 5, 41, 41]; // 67,240 values: enough to split (MIN_VALUES_TO_SPLIT)
    const x = randomTensor(shape, 1).to('float32');
    const gradOut = randomTensor(shape, 2).to('float32');
    const run = (shared: boolean): number[][] => {
      const layer = new LayerNorm(5);
      layer.weight.data.set([1.5, -0.5, 0.8, 1, 0.2]);
      if (frozen) for (const parameter of layer.parameters()) parameter.requiresGrad = false;
      return reuseBuffers(() => {
        const input = placed(x, shared).requireGrad(true);
        const y = relu ? normRelu(layer, input) : layer.forward(input);
        y.backward(placed(gradOut, shared));
        return [y, input.grad, ...layer.parameters().map((p) => p.grad)].map((t) => bits(t ?? null));
      });
    };
    const before = loopsStartedOnHelper();
    const split = run(true);
    expect(loopsStartedOnHelper()).toBe(before + loops);
    const whole = run(false);
    expect(loopsStartedOnHelper()).toBe(before + loops);
    expect(split).toEqual(whole);
  });
});

describe('element-wise ops over two threads', () => {
  it('relu, addRelu and add (forward and backward) give the same bits split as in one piece', () => {
    const shape = [2, 3, 120, 100]; // 72,000 values: enough to split
    const a = randomTensor(shape, 5).to('float32');
    const b = randomTensor(shape, 6).to('float32');
    const gradOut = randomTensor(shape, 7).to('float32');
    const run = (shared: boolean): number[][] => reuseBuffers(() => {
      const [x, y] = [placed(a, shared).requireGrad(true), placed(b, shared).requireGrad(true)];
      // x feeds three ops, so its gradients are added (add of two same-shape tensors)
      const out = addRelu(x, y).add(x.relu()).add(x);
      out.backward(placed(gradOut, shared));
      return [out, x.grad, y.grad].map((t) => bits(t ?? null));
    });
    const before = loopsStartedOnHelper();
    const split = run(true);
    // forward: addRelu, relu, 2 adds; backward: addRelu's and relu's masks, the adds of x's gradients
    expect(loopsStartedOnHelper() - before).toBeGreaterThanOrEqual(6);
    const afterSplit = loopsStartedOnHelper();
    const whole = run(false);
    // in one piece only where an op's input is an ordinary array: the ops' own outputs come from the pool
    expect(loopsStartedOnHelper() - afterSplit).toBeLessThan(afterSplit - before);
    expect(split).toEqual(whole);
  });
});

describe('convolutions: the helper prepares and finishes its own part of the batch', () => {
  it.each([
    ['image lanes, stride 1', { stride: 1, padding: 1 }],
    ['stride 2 (the scatter)', { stride: 2, padding: 1 }],
  ])('%s: the same output and gradients as without the helper\'s loops, which ran there', (_, options) => {
    const x = randomTensor([64, 8, 29, 27], 8).to('float32'); // big enough that the two parts' host loops overlap in time
    const w = randomTensor([32, 8, 3, 3], 9).to('float32'); // 32 images' shares of 2,304 values: enough to split their sum
    /** y, ∂L/∂x and ∂L/∂w; inside a buffer scope (arrays in shared memory with a helper) or not. */
    const convolve = (threads: string, scoped: boolean): { values: number[][]; loops: number } => {
      process.env.ROBUSTNORM_THREADS = threads;
      disposeBackends();
      setBackend('webasm');
      const before = loopsStartedOnHelper();
      const step = (): number[][] => {
        const input = placed(x, scoped).requireGrad(true);
        const weight = w.clone().requireGrad(true);
        const y = conv2d(input, weight, null, options);
        y.backward(placed(randomTensor(y.shape, 10).to('float32'), scoped));
        return [y, input.grad, weight.grad].map((t) => Array.from(t!.data));
      };
      const values = scoped ? reuseBuffers(step) : step();
      return { values, loops: loopsStartedOnHelper() - before };
    };
    const oneThread = convolve('1', true);
    const twoInPlace = convolve('2', false);
    const two = convolve('2', true);
    process.env.ROBUSTNORM_THREADS = '2';
    expect(oneThread.loops).toBe(0);
    expect(twoInPlace.loops).toBe(0);
    // the forward's and the input gradient's transposes (or the scatter), the weight gradient's
    // channels-last copy and its padding copy, its sum of the shares: on the helper
    expect(two.loops).toBeGreaterThanOrEqual(4);
    expect(two.values).toEqual(twoInPlace.values);
    // y and ∂L/∂x do not depend on the split at all (∂L/∂w adds two half-batch sums)
    expect(two.values.slice(0, 2)).toEqual(oneThread.values.slice(0, 2));
  });
});

describe("the helper's error text", () => {
  it('goes through shared memory (a blocked thread receives no message), whole or cut to its size', () => {
    const buffer = errorTextBuffer();
    expect(readErrorText(buffer)).toBeUndefined();
    writeErrorText(buffer, 'Error: naïve ∂L/∂x');
    expect(readErrorText(buffer)).toBe('Error: naïve ∂L/∂x');
    writeErrorText(buffer, 'x'.repeat(ERROR_TEXT_BYTES + 10));
    expect(readErrorText(buffer)).toBe('x'.repeat(ERROR_TEXT_BYTES));
  });
});
