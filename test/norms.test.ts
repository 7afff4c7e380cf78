/**
 * Normalization layers: hand-derived backward = autograd composition = finite
 * differences (float64), for every layer and statistics mode, in training and
 * inference, on N = 1 and N > 1, H·W = 1, and constant channels.
 */
import { describe, expect, it } from 'vitest';
import { BatchNorm2d, batchNorm2d, fromArray, gradCheck, Identity, LayerNorm, layerNorm, Module, RobustNorm2d, robustNorm2d, Tensor, type NormStatistics } from '../src/index.js';
import { batchNormComposed, layerNormComposed, robustNormComposed } from '../src/internals.js';
import { usesBatchStatistics } from '../src/nn/norm-statistics.js';
import { randomTensor, relativeError } from './helpers.js';

type NormFn = (x: Tensor, weight: Tensor, bias: Tensor) => Tensor;

const shapes: Array<[string, number[]]> = [
  ['N > 1', [3, 2, 3, 2]],
  ['N = 1', [1, 3, 2, 2]],
  ['H·W = 1', [4, 3, 1, 1]],
  ['2-D [N, C]', [5, 3]],
];
const modes: NormStatistics[] = ['population', 'batch', 'population-mean'];
const phases = [true, false] as const;

function channels(shape: number[]): number {
  return shape[1] as number;
}

function affine(C: number, seed: number): [Tensor, Tensor] {
  return [randomTensor([C], seed, { offset: 1, scale: 0.3 }), randomTensor([C], seed + 1, { scale: 0.5 })];
}

/** Running statistics that differ clearly from any batch's. */
function runningState(C: number) {
  return {
    runningMean: randomTensor([C], 90, { scale: 0.5 }),
    runningVar: randomTensor([C], 91).abs().add(0.5),
    runningRange: randomTensor([C], 92).abs().add(1.5),
  };
}

function bnFns(training: boolean, statistics: NormStatistics, C: number): { hand: NormFn; composed: NormFn } {
  const state = runningState(C);
  const { meanFromBatch, scaleFromBatch } = usesBatchStatistics(training, statistics);
  // A fresh copy of the running state per call, so training-mode updates cannot leak between calls.
  const fresh = () => ({ runningMean: state.runningMean.clone(), runningVar: state.runningVar.clone() });
  return {
    hand: (x, w, b) => batchNorm2d(x, w, b, fresh(), { training, statistics, eps: 1e-5, momentum: 0.1 }),
    composed: (x, w, b) => batchNormComposed(x, w, b, { meanFromBatch, scaleFromBatch, ...fresh(), eps: 1e-5 }),
  };
}

function rnFns(training: boolean, statistics: NormStatistics, C: number, power = 0.2): { hand: NormFn; composed: NormFn } {
  const state = runningState(C);
  const { meanFromBatch, scaleFromBatch } = usesBatchStatistics(training, statistics);
  const fresh = () => ({ runningMean: state.runningMean.clone(), runningRange: state.runningRange.clone() });
  return {
    hand: (x, w, b) => robustNorm2d(x, w, b, fresh(), { training, statistics, power, eps: 1e-5, momentum: 0.1 }),
    composed: (x, w, b) => robustNormComposed(x, w, b, { meanFromBatch, scaleFromBatch, ...fresh(), power, eps: 1e-5 }),
  };
}

const lnFns = (): { hand: NormFn; composed: NormFn } => ({
  hand: (x, w, b) => layerNorm(x, w, b, 1e-5),
  composed: (x, w, b) => layerNormComposed(x, w, b, 1e-5),
});

/** Output and all three gradients of `fn` for a fixed upstream gradient. */
function outputsAndGrads(fn: NormFn, x: Tensor, w: Tensor, b: Tensor) {
  const [xl, wl, bl] = [x, w, b].map((t) => t.clone().requireGrad()) as [Tensor, Tensor, Tensor];
  const y = fn(xl, wl, bl);
  const upstream = randomTensor([...y.shape], 77);
  y.mul(upstream).sum().backward();
  return { y: y.data, gx: xl.grad!.data, gw: wl.grad!.data, gb: bl.grad!.data };
}

function expectHandMatchesComposedAndFiniteDifferences(fns: { hand: NormFn; composed: NormFn }, x: Tensor, w: Tensor, b: Tensor) {
  const hand = outputsAndGrads(fns.hand, x, w, b);
  const composed = outputsAndGrads(fns.composed, x, w, b);
  expect(relativeError(hand.y, composed.y)).toBeLessThan(1e-10);
  expect(relativeError(hand.gx, composed.gx)).toBeLessThan(1e-8);
  expect(relativeError(hand.gw, composed.gw)).toBeLessThan(1e-8);
  expect(relativeError(hand.gb, composed.gb)).toBeLessThan(1e-8);
  const check = gradCheck(fns.hand, [x, w, b], { atol: 1e-5, rtol: 1e-4 });
  if (!check.ok) throw new Error(`finite differences disagree: ${JSON.stringify(check.worst)}`);
}

describe.each(shapes)('hand = composition = finite differences, %s', (_, shape) => {
  const C = channels(shape);
  const x = randomTensor(shape, 5, { offset: 0.3, scale: 1.7 });
  const [w, b] = affine(C, 10);
  for (const training of phases) {
    const phase = training ? 'training' : 'inference';
    const modesHere = training ? (['batch'] as NormStatistics[]) : modes; // training always uses batch statistics
    for (const statistics of modesHere) {
      const M = (shape[0] as number) * (shape[2] ?? 1) * (shape[3] ?? 1);
      it.skipIf(training && M < 2)(`BatchNorm2d ${phase} ${statistics}`, () => expectHandMatchesComposedAndFiniteDifferences(bnFns(training, statistics, C), x, w, b));
      it(`RobustNorm2d ${phase} ${statistics}`, () => expectHandMatchesComposedAndFiniteDifferences(rnFns(training, statistics, C), x, w, b));
    }
  }
  it('LayerNorm', () => expectHandMatchesComposedAndFiniteDifferences(lnFns(), x, w, b));
  it('RobustNorm2d with p = 1 (eq. 5, plain range)', () => expectHandMatchesComposedAndFiniteDifferences(rnFns(false, 'batch', C, 1), x, w, b));
});

describe('constant channels', () => {
  // Channel 1 is constant (all 0.7); channel 0 varies.
  const x = randomTensor([3, 2, 2, 2], 20);
  for (let n = 0; n < 3; n++) for (let i = 0; i < 4; i++) x.data[(n * 2 + 1) * 4 + i] = 0.7;
  const [w, b] = affine(2, 30);

  it.each(modes)('BatchNorm2d (%s): finite, equal to composition and finite differences', (statistics) => {
    for (const training of phases) {
      if (training && statistics !== 'batch') continue;
      const fns = bnFns(training, statistics, 2);
      const result = outputsAndGrads(fns.hand, x, w, b);
      for (const values of Object.values(result)) expect(Array.from(values).every(Number.isFinite)).toBe(true);
      expectHandMatchesComposedAndFiniteDifferences(fns, x, w, b);
    }
  });

  it('RobustNorm2d: the naive composition gives NaN at r = 0, the hand-derived pass does not', () => {
    const fns = rnFns(false, 'batch', 2);
    const composed = outputsAndGrads(fns.composed, x, w, b);
    expect(Array.from(composed.gx).some(Number.isNaN)).toBe(true);
    const hand = outputsAndGrads(fns.hand, x, w, b);
    for (const values of Object.values(hand)) expect(Array.from(values).every(Number.isFinite)).toBe(true);
    // The constant channel's output is β: x − μ_B is 0 up to the rounding of the mean
    // (~1e-16), which the divisor r^p + ε = ε magnifies to ~1e-11.
    expect(hand.y[4]).toBeCloseTo(b.data[1] as number, 9);
  });

  it('RobustNorm2d at r = 0 equals the composition with the range held constant (∂r/∂x = 0 under the tie rule)', () => {
    // NCHW order: sample 0 (channel 0: 0.7, 0.7; channel 1: −1.2, −1.2), then sample 1 likewise.
    const allConstant = fromArray([0.7, 0.7, -1.2, -1.2, 0.7, 0.7, -1.2, -1.2], [2, 2, 2, 1], { dtype: 'float64' });
    const [w2, b2] = affine(2, 40);
    for (const statistics of ['batch', 'population-mean'] as NormStatistics[]) {
      const { meanFromBatch } = usesBatchStatistics(false, statistics);
      const state = runningState(2);
      const hand = outputsAndGrads((xx, ww, bb) => robustNorm2d(xx, ww, bb, { runningMean: state.runningMean.clone(), runningRange: state.runningRange.clone() }, { training: false, statistics, power: 0.2, eps: 1e-5, momentum: 0.1 }), allConstant, w2, b2);
      const heldRange = outputsAndGrads((xx, ww, bb) => robustNormComposed(xx, ww, bb, { meanFromBatch, scaleFromBatch: false, runningMean: state.runningMean, runningRange: fromArray([0, 0], [2], { dtype: 'float64' }), power: 0.2, eps: 1e-5 }), allConstant, w2, b2);
      expect(relativeError(hand.y, heldRange.y)).toBeLessThan(1e-12);
      expect(relativeError(hand.gx, heldRange.gx)).toBeLessThan(1e-10);
      expect(relativeError(hand.gw, heldRange.gw)).toBeLessThan(1e-10);
    }
  });

  it('RobustNorm2d population mode at a constant channel passes finite differences', () => {
    expectHandMatchesComposedAndFiniteDifferences(rnFns(false, 'population', 2), x, w, b);
  });

  it('LayerNorm with a constant sample', () => {
    const constant = fromArray(new Array(8).fill(2.5), [1, 2, 2, 2], { dtype: 'float64' });
    const result = outputsAndGrads(lnFns().hand, constant, w, b);
    for (const values of Object.values(result)) expect(Array.from(values).every(Number.isFinite)).toBe(true);
    expectHandMatchesComposedAndFiniteDifferences(lnFns(), constant, w, b);
  });
});

describe('tie rule inside RobustNorm', () => {
  it('splits the range gradient equally among tied maxima', () => {
    // One channel: values 3, 3, 0, 1 → two tied maxima.
    const x = fromArray([3, 3, 0, 1], [4, 1], { dtype: 'float64' }).requireGrad();
    const w = fromArray([1], [1], { dtype: 'float64' });
    const b = fromArray([0], [1], { dtype: 'float64' });
    const y = robustNorm2d(x, w, b, { runningMean: fromArray([0], [1], { dtype: 'float64' }), runningRange: fromArray([1], [1], { dtype: 'float64' }) }, { training: false, statistics: 'batch', power: 1, eps: 0, momentum: 0.1 });
    // L = Σ_k k·y_k; compare with the composition, which uses the same tie rule in max/min.
    const weights = fromArray([0, 1, 2, 3], [4, 1], { dtype: 'float64' });
    y.mul(weights).sum().backward();
    const x2 = x.detach().clone().requireGrad();
    robustNormComposed(x2, w, b, { meanFromBatch: true, scaleFromBatch: true, runningMean: fromArray([0], [1], { dtype: 'float64' }), runningRange: fromArray([1], [1], { dtype: 'float64' }), power: 1, eps: 0 }).mul(weights).sum().backward();
    expect(relativeError(x.grad!.data, x2.grad!.data)).toBeLessThan(1e-12);
    // Both maxima get the same share.
    const share = (x.grad!.data[0] as number) - (x.grad!.data[1] as number);
    // They differ only by their direct-path terms (weights 0 and 1, divided by d = r = 3).
    expect(share).toBeCloseTo(-1 / 3, 12);
  });
});

describe('running statistics', () => {
  const batches = [0, 1, 2].map((i) => randomTensor([4, 2, 2, 2], 100 + i, { offset: i, scale: 1 + i }));

  /** Plain-loop statistics of channel c: mean, biased variance, range. */
  function channelStats(x: Tensor, c: number) {
    const values: number[] = [];
    for (let n = 0; n < 4; n++) for (let i = 0; i < 4; i++) values.push(x.data[(n * 2 + c) * 4 + i] as number);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
    return { mean, variance, unbiased: (variance * values.length) / (values.length - 1), range: Math.max(...values) - Math.min(...values) };
  }

  it('BatchNorm2d follows μ̂ ← 0.9 μ̂ + 0.1 μ_B and σ̂² ← 0.9 σ̂² + 0.1 σ²_unbiased', () => {
    const layer = new BatchNorm2d(2, { dtype: 'float64' });
    const expectedMean = [0, 0];
    const expectedVar = [1, 1];
    for (const batch of batches) {
      layer.forward(batch);
      for (const c of [0, 1]) {
        const stats = channelStats(batch, c);
        expectedMean[c] = 0.9 * (expectedMean[c] as number) + 0.1 * stats.mean;
        expectedVar[c] = 0.9 * (expectedVar[c] as number) + 0.1 * stats.unbiased;
      }
    }
    expect(relativeError(layer.runningMean.data, expectedMean)).toBeLessThan(1e-12);
    expect(relativeError(layer.runningVar.data, expectedVar)).toBeLessThan(1e-12);
    expect(layer.numBatchesTracked.item()).toBe(3);
  });

  it('RobustNorm2d follows μ̂ ← 0.9 μ̂ + 0.1 μ_B and r̂ ← 0.9 r̂ + 0.1 r_B', () => {
    const layer = new RobustNorm2d(2, { dtype: 'float64' });
    const expectedMean = [0, 0];
    const expectedRange = [1, 1];
    for (const batch of batches) {
      layer.forward(batch);
      for (const c of [0, 1]) {
        const stats = channelStats(batch, c);
        expectedMean[c] = 0.9 * (expectedMean[c] as number) + 0.1 * stats.mean;
        expectedRange[c] = 0.9 * (expectedRange[c] as number) + 0.1 * stats.range;
      }
    }
    expect(relativeError(layer.runningMean.data, expectedMean)).toBeLessThan(1e-12);
    expect(relativeError(layer.runningRange.data, expectedRange)).toBeLessThan(1e-12);
  });

  it('inference does not update running statistics', () => {
    const layer = new BatchNorm2d(2, { dtype: 'float64' }).eval();
    layer.forward(batches[0] as Tensor);
    expect(Array.from(layer.runningMean.data)).toEqual([0, 0]);
  });
});

describe('inference modes use exactly the statistics they claim', () => {
  const x = randomTensor([4, 2, 3, 3], 200, { offset: 0.5 });

  function outputs(layer: BatchNorm2d | RobustNorm2d, statistics: NormStatistics): number[] {
    layer.eval();
    layer.statistics = statistics;
    return Array.from(layer.forward(x).data);
  }

  for (const make of [() => new BatchNorm2d(2, { dtype: 'float64' }), () => new RobustNorm2d(2, { dtype: 'float64' })]) {
    const name = make().constructor.name;
    it(`${name}: changing running buffers changes population, not batch`, () => {
      const layer = make();
      const before = { population: outputs(layer, 'population'), batch: outputs(layer, 'batch'), populationMean: outputs(layer, 'population-mean') };
      const scale = layer instanceof BatchNorm2d ? layer.runningVar : layer.runningRange;
      scale.data.set([3, 0.2]);
      expect(outputs(layer, 'population')).not.toEqual(before.population);
      expect(outputs(layer, 'batch')).toEqual(before.batch);
      expect(outputs(layer, 'population-mean')).toEqual(before.populationMean); // uses the batch's spread
      layer.runningMean.data.set([0.4, -0.3]);
      expect(outputs(layer, 'batch')).toEqual(before.batch);
      expect(outputs(layer, 'population-mean')).not.toEqual(before.populationMean);
    });
  }

  it('population statistics in eval mode: ∂L/∂x = γ·g / √(σ̂² + ε) exactly', () => {
    const layer = new BatchNorm2d(2, { dtype: 'float64' }).eval();
    layer.runningVar.data.set([4, 0.25]);
    layer.weight.data.set([2, 3]);
    const input = x.clone().requireGrad();
    layer.forward(input).sum().backward();
    for (let i = 0; i < input.size; i++) {
      const channel = Math.floor(i / 9) % 2;
      const expected = channel === 0 ? 2 / Math.sqrt(4 + 1e-5) : 3 / Math.sqrt(0.25 + 1e-5);
      expect(input.grad!.data[i]).toBeCloseTo(expected, 12);
    }
  });
});

describe('batch size 1 and single values', () => {
  it('BatchNorm2d training with one value per channel is a clear error', () => {
    expect(() => new BatchNorm2d(3).forward(randomTensor([1, 3, 1, 1], 1).to('float32'))).toThrow(/more than one value per channel/);
  });

  it('BatchNorm2d batch statistics on one value give β, without NaN', () => {
    const layer = new BatchNorm2d(3, { dtype: 'float64' }).eval();
    layer.statistics = 'batch';
    layer.bias.data.set([0.1, 0.2, 0.3]);
    const y = layer.forward(randomTensor([1, 3, 1, 1], 2));
    expect(Array.from(y.data)).toEqual([0.1, 0.2, 0.3]);
  });

  it('RobustNorm2d trains and infers at batch size 1 without NaN', () => {
    const layer = new RobustNorm2d(3, { dtype: 'float64' });
    const input = randomTensor([1, 3, 1, 1], 3).requireGrad();
    layer.forward(input).sum().backward();
    expect(Array.from(input.grad!.data).every(Number.isFinite)).toBe(true);
    layer.eval();
    for (const statistics of ['population', 'batch', 'population-mean'] as NormStatistics[]) {
      layer.statistics = statistics;
      expect(Array.from(layer.forward(randomTensor([1, 3, 1, 1], 4)).data).every(Number.isFinite)).toBe(true);
    }
  });
});

describe('model-wide switch', () => {
  class Tiny extends Module {
    readonly bn = this.registerModule('bn', new BatchNorm2d(2));
    readonly rn = this.registerModule('rn', new RobustNorm2d(2));
    readonly ln = this.registerModule('ln', new LayerNorm(2));
    readonly none = this.registerModule('none', new Identity());
    forward(x: Tensor): Tensor {
      return this.none.forward(this.ln.forward(this.rn.forward(this.bn.forward(x))));
    }
  }

  it('setNormStatistics sets every BatchNorm and RobustNorm layer', () => {
    const model = new Tiny();
    expect(model.bn.statistics).toBe('population');
    expect(model.rn.statistics).toBe('batch');
    expect(model.setNormStatistics('population-mean')).toBe(2);
    expect(model.bn.statistics).toBe('population-mean');
    expect(model.rn.statistics).toBe('population-mean');
  });

  it('setNormStatistics leaves a layer that merely has a field named statistics alone', () => {
    class Counter extends Module {
      statistics = 'counts';
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    class WithCounter extends Tiny {
      readonly counter = this.registerModule('counter', new Counter());
    }
    const model = new WithCounter();
    expect(model.setNormStatistics('batch')).toBe(2);
    expect(model.counter.statistics).toBe('counts');
  });

  it('names parameters and buffers like PyTorch', () => {
    const names = [...new Tiny().stateDict().keys()];
    expect(names).toEqual([
      'bn.weight', 'bn.bias', 'rn.weight', 'rn.bias', 'ln.weight', 'ln.bias',
      'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked', 'rn.running_mean', 'rn.running_range', 'rn.num_batches_tracked',
    ]);
  });
});
