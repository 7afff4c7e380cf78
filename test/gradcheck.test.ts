/**
 * A finite-difference gradient check (float64) for every exported differentiable op.
 */
import { describe, expect, it } from 'vitest';
import * as rn from '../src/index.js';
import { gradCheck, type Tensor } from '../src/index.js';
import { record } from '../src/tensor/autograd.js';
import { randomTensor } from './helpers.js';

type Case = [name: string, fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[]];

const positive = (shape: number[], seed: number) => randomTensor(shape, seed).abs().add(0.5);
/** Values kept away from 0, where |x|, relu, sign and clamp bend. */
const awayFromKinks = (shape: number[], seed: number) => {
  const t = randomTensor(shape, seed);
  for (let i = 0; i < t.size; i++) {
    const v = t.data[i] as number;
    t.data[i] = v >= 0 ? v + 0.1 : v - 0.1;
  }
  return t;
};

const cases: Case[] = [
  ['add (same shape)', (a, b) => a.add(b), [randomTensor([2, 3], 1), randomTensor([2, 3], 2)]],
  ['add (broadcast [2,3] + [3])', (a, b) => a.add(b), [randomTensor([2, 3], 3), randomTensor([3], 4)]],
  ['add (broadcast [2,1,4] + [3,1])', (a, b) => a.add(b), [randomTensor([2, 1, 4], 5), randomTensor([3, 1], 6)]],
  ['add (scalar)', (a) => a.add(2.5), [randomTensor([4], 7)]],
  ['sub (broadcast)', (a, b) => a.sub(b), [randomTensor([3, 1], 8), randomTensor([1, 4], 9)]],
  ['mul (broadcast [2,3,2] · [3,1])', (a, b) => a.mul(b), [randomTensor([2, 3, 2], 10), randomTensor([3, 1], 11)]],
  ['mul (reused input x·x)', (a) => a.mul(a), [randomTensor([5], 12)]],
  ['div (broadcast)', (a, b) => a.div(b), [randomTensor([2, 3], 13), positive([2, 1], 14)]],
  ['neg', (a) => a.neg(), [randomTensor([3, 2], 15)]],
  ['exp', (a) => a.exp(), [randomTensor([3, 2], 16)]],
  ['log', (a) => a.log(), [positive([3, 2], 17)]],
  ['sqrt', (a) => a.sqrt(), [positive([3, 2], 18)]],
  ['pow 0.2', (a) => a.pow(0.2), [positive([3, 2], 19)]],
  ['pow 3', (a) => a.pow(3), [randomTensor([3, 2], 20)]],
  ['abs', (a) => a.abs(), [awayFromKinks([3, 2], 21)]],
  ['sign (zero gradient)', (a) => a.sign(), [awayFromKinks([3, 2], 22)]],
  ['clamp', (a) => a.clamp(-0.5, 0.5), [awayFromKinks([4, 3], 23).mul(0.9)]],
  ['relu', (a) => a.relu(), [awayFromKinks([3, 4], 24)]],
  ['addRelu (float64: add, then relu)', (a, b) => a.addRelu(b), [awayFromKinks([3, 4], 25), randomTensor([3, 4], 26).mul(0.05)]],
  ['tanh', (a) => a.tanh(), [randomTensor([3, 2], 25)]],
  ['sum (all)', (a) => a.sum(), [randomTensor([2, 3, 4], 26)]],
  ['sum (axes [0,2], keepDim)', (a) => a.sum([0, 2], true), [randomTensor([2, 3, 4], 27)]],
  ['sum (axis −1)', (a) => a.sum(-1), [randomTensor([2, 3, 4], 28)]],
  ['mean (axes [0,2,3])', (a) => a.mean([0, 2, 3]), [randomTensor([2, 3, 2, 2], 29)]],
  ['max (axis 1)', (a) => a.max(1), [randomTensor([3, 5], 30)]],
  ['max (all, keepDim)', (a) => a.max(undefined, true), [randomTensor([3, 4], 31)]],
  ['min (axes [0,2])', (a) => a.min([0, 2]), [randomTensor([2, 3, 4], 32)]],
  ['reshape', (a) => a.reshape([3, -1]).mul(a.reshape([3, 4])), [randomTensor([2, 6], 33)]],
  ['flatten', (a) => a.flatten(1), [randomTensor([2, 3, 2, 2], 34)]],
  ['permute', (a) => a.permute([2, 0, 1]), [randomTensor([2, 3, 4], 35)]],
  ['transpose', (a) => a.transpose(0, 2), [randomTensor([2, 3, 4], 36)]],
  ['broadcastTo', (a) => a.broadcastTo([2, 3, 4]), [randomTensor([3, 1], 37)]],
  ['matmul', (a, b) => a.matmul(b), [randomTensor([3, 4], 38), randomTensor([4, 5], 39)]],
  ['matmul (1×k · k×1)', (a, b) => a.matmul(b), [randomTensor([1, 7], 40), randomTensor([7, 1], 41)]],
  ['conv2d (stride 1, pad 1, bias)', (x, w, b) => rn.conv2d(x, w, b, { padding: 1 }), [randomTensor([2, 3, 5, 4], 42), randomTensor([4, 3, 3, 3], 43), randomTensor([4], 44)]],
  ['conv2d (stride 2, pad 0, batch 1)', (x, w) => rn.conv2d(x, w, null, { stride: 2 }), [randomTensor([1, 2, 7, 6], 45), randomTensor([3, 2, 3, 2], 46)]],
  ['conv2d (stride 2, pad 1, 1×1 kernel)', (x, w) => rn.conv2d(x, w, null, { stride: 2, padding: 1 }), [randomTensor([2, 5, 5, 5], 47), randomTensor([3, 5, 1, 1], 48)]],
  ['avgPool2d (2×2)', (x) => rn.ops.avgPool2d(x, 2), [randomTensor([2, 3, 4, 6], 49)]],
  ['avgPool2d (3×3 stride 1, overlapping)', (x) => rn.ops.avgPool2d(x, 3, 1), [randomTensor([1, 2, 5, 5], 50)]],
  ['globalAvgPool2d', (x) => rn.ops.globalAvgPool2d(x), [randomTensor([2, 3, 3, 2], 51)]],
  ['logSoftmax', (z) => rn.logSoftmax(z), [randomTensor([3, 5], 52, { scale: 3 })]],
  ['crossEntropy (mean)', (z) => rn.crossEntropy(z, [0, 4, 2]), [randomTensor([3, 5], 53, { scale: 3 })]],
  ['crossEntropy (sum)', (z) => rn.crossEntropy(z, [1, 1], 'sum'), [randomTensor([2, 4], 54)]],
];

describe('finite-difference gradient checks (float64)', () => {
  it.each(cases)('%s', (name, fn, inputs) => {
    const result = gradCheck(fn, inputs);
    if (!result.ok) throw new Error(`${name}: ${JSON.stringify(result.worst)}`);
    expect(result.maxAbsError).toBeLessThan(1e-5);
  });

  it('fails on a wrong gradient', () => {
    // An op whose backward forgets the factor 2 of d(x²)/dx.
    const wrongSquare = (x: Tensor) => {
      const out = rn.noGrad(() => x.mul(x));
      return record('wrongSquare', out, [x], (g) => [g.mul(x)]);
    };
    const result = gradCheck(wrongSquare, [randomTensor([4], 60)]);
    expect(result.ok).toBe(false);
    expect(result.worst).not.toBeNull();
  });

  it('rejects float32 inputs', () => {
    expect(() => gradCheck((a) => a, [rn.ones([2])])).toThrow(/float64/);
  });
});
