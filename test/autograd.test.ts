import { describe, expect, it } from 'vitest';
import { fromArray, noGrad, ones, setDetectAnomaly, Tensor, zeros } from '../src/index.js';
import { relu } from '../src/ops/index.js';
import { record } from '../src/tensor/autograd.js';
import { randomTensor } from './helpers.js';

const leaf = (values: number[], shape?: number[]) => fromArray(values, shape ?? [values.length], { dtype: 'float64', requiresGrad: true });

describe('reverse-mode autograd', () => {
  it('sums the gradient over every path to a reused input: d/dx (x+x)·x = 4x', () => {
    const x = leaf([1, -2, 3]);
    x.add(x).mul(x).sum().backward();
    expect(x.grad?.toList()).toEqual([4, -8, 12]);
  });

  it('handles a diamond graph: y = a·b, z = y + y·a', () => {
    const a = leaf([2]);
    const b = leaf([3]);
    const y = a.mul(b);
    y.add(y.mul(a)).sum().backward();
    // z = ab + a²b ⇒ ∂z/∂a = b + 2ab = 15, ∂z/∂b = a + a² = 6
    expect(a.grad?.toList()).toEqual([15]);
    expect(b.grad?.toList()).toEqual([6]);
  });

  it('accumulates into .grad across backward calls until zeroGrad', () => {
    const x = leaf([1, 2]);
    x.mul(3).sum().backward();
    x.mul(3).sum().backward();
    expect(x.grad?.toList()).toEqual([6, 6]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
  });

  it('gives gradients with respect to inputs, not only parameters', () => {
    const input = leaf([0.5, -1]);
    const weight = fromArray([2, 4], [2], { dtype: 'float64' }); // no grad wanted
    input.mul(weight).sum().backward();
    expect(input.grad?.toList()).toEqual([2, 4]);
    expect(weight.grad).toBeNull();
  });

  it('records nothing inside noGrad, and detach() cuts the graph', () => {
    const x = leaf([1, 2]);
    const inside = noGrad(() => x.mul(2));
    expect(inside.requiresGrad).toBe(false);
    expect(inside.gradFn).toBeNull();
    const detached = x.mul(2).detach();
    expect(detached.requiresGrad).toBe(false);
    expect(detached.data).toBeDefined();
    expect(() => detached.sum().backward()).toThrow(/does not require grad/);
  });

  it('restores grad mode when the noGrad body throws', () => {
    expect(() => noGrad(() => { throw new Error('boom'); })).toThrow('boom');
    const x = leaf([1]);
    expect(x.mul(2).requiresGrad).toBe(true);
  });

  it('frees the graph after backward, and says so when asked to go through it again', () => {
    const x = leaf([1, 2]);
    const y = x.exp();
    const loss = y.sum();
    loss.backward();
    expect(y.gradFn?.inputs).toEqual([]); // saved buffers dropped
    expect(() => loss.backward()).toThrow(/second time/);
  });

  it('keeps the graph with retainGraph', () => {
    const x = leaf([1, 2]);
    const loss = x.mul(x).sum();
    loss.backward(undefined, { retainGraph: true });
    loss.backward();
    expect(x.grad?.toList()).toEqual([4, 8]);
  });

  it('needs an explicit gradient for a non-scalar root', () => {
    const x = leaf([1, 2]);
    expect(() => x.mul(2).backward()).toThrow(/explicit gradient/);
    x.mul(2).backward(fromArray([1, 10], [2], { dtype: 'float64' }));
    expect(x.grad?.toList()).toEqual([2, 20]);
  });

  it('refuses to differentiate a NaN loss, naming it', () => {
    const x = leaf([-1]);
    expect(() => x.log().sum().backward()).toThrow(/NaN/);
  });

  it('names the op that produced NaN when anomaly detection is on', () => {
    setDetectAnomaly(true);
    try {
      expect(() => leaf([-1]).sqrt()).toThrow(/output of sqrt contains NaN/);
    } finally {
      setDetectAnomaly(false);
    }
  });

  it('checks that a backward returns gradients of the input shape', () => {
    const x = leaf([1, 2, 3]);
    const broken = record('broken', x.mul(1), [x], () => [ones([2], { dtype: 'float64' })]);
    expect(() => broken.sum().backward()).toThrow(/broken: gradient for input 0 has shape \[2\] but the input has shape \[3\]/);
  });

  it('keeps a non-leaf gradient with retainGrad', () => {
    const x = leaf([1, 2]);
    const y = x.mul(3).retainGrad();
    y.mul(y).sum().backward();
    expect(y.grad?.toList()).toEqual([6, 12]);
  });

  it('handles deep graphs without overflowing the stack', () => {
    let y: Tensor = leaf([1]);
    const x = y;
    for (let i = 0; i < 20000; i++) y = y.add(0);
    y.sum().backward();
    expect(x.grad?.toList()).toEqual([1]);
  });
});

describe('max/min tie rule: the gradient is split equally among tied extremes', () => {
  it('max with a tie', () => {
    const x = leaf([1, 5, 5, 2]);
    x.max().backward();
    expect(x.grad?.toList()).toEqual([0, 0.5, 0.5, 0]);
  });

  it('min along an axis, a tie in one row only', () => {
    const x = leaf([3, 1, 1, 4, 2, 9], [2, 3]);
    x.min(1).sum().backward();
    expect(x.grad?.toList()).toEqual([0, 0.5, 0.5, 0, 1, 0]);
  });

  it('a constant row: max − min has zero gradient', () => {
    const x = leaf([7, 7, 7]);
    x.max().sub(x.min()).backward();
    expect(x.grad?.toList()).toEqual([0, 0, 0]);
  });
});

describe('zeros', () => {
  it('creates float32 by default', () => {
    expect(zeros([2]).dtype).toBe('float32');
  });
});

describe('relu on float32 (branch-free, on the bits)', () => {
  it('maps −∞, −0 and negatives to +0, keeps NaN, and passes the gradient only where x > 0', () => {
    const x = fromArray([-Infinity, -2, -0, 0, 1.5, Infinity, NaN], [7]).requireGrad();
    const y = relu(x);
    expect(Array.from(y.data)).toEqual([0, 0, 0, 0, 1.5, Infinity, NaN]);
    expect(Object.is(y.data[2], 0)).toBe(true); // +0, not −0
    const finite = fromArray([-3, -0, 0, 2, 1e-40], [5]).requireGrad();
    relu(finite).backward(fromArray([7, 7, 7, 7, 7], [5]));
    expect(Array.from(finite.grad?.data ?? [])).toEqual([0, 0, 0, 7, 7]);
  });
});

describe('addRelu, relu(a + b) in one pass', () => {
  /** float32 operands whose sums are positive, negative, exactly 0 and −0. */
  function operands(): [Tensor, Tensor] {
    const a = randomTensor([2, 3, 4, 5], 31).to('float32');
    const b = randomTensor([2, 3, 4, 5], 32).to('float32');
    a.data[0] = 0.25;
    b.data[0] = -0.25; // sum +0
    a.data[1] = -0;
    b.data[1] = -0; // sum −0
    return [a, b];
  }
  const bits = (tensor: Tensor | null) => Array.from(new Uint32Array(Float32Array.from(tensor?.data ?? []).buffer));

  it('gives the bits of a.add(b).relu(), forward and both gradients', () => {
    const [a, b] = operands();
    const gradOut = randomTensor([2, 3, 4, 5], 33).to('float32');
    const run = (fused: boolean) => {
      const [left, right] = [a.clone().requireGrad(), b.clone().requireGrad()];
      const y = fused ? left.addRelu(right) : left.add(right).relu();
      y.backward(gradOut);
      return [y, left.grad, right.grad].map(bits);
    };
    const fused = run(true);
    expect(fused).toEqual(run(false));
    const y = new Float32Array(new Uint32Array(fused[0] as number[]).buffer);
    expect(y.some((value) => value === 0) && y.some((value) => value > 0)).toBe(true);
  });

  it('falls back to add, then relu, for broadcasting (and reports a dtype mismatch as add does)', () => {
    const a = randomTensor([2, 3], 34).to('float32');
    const b = randomTensor([3], 35).to('float32');
    expect(bits(a.addRelu(b))).toEqual(bits(a.add(b).relu()));
    expect(() => a.addRelu(randomTensor([2, 3], 36))).toThrow(/dtype mismatch/);
  });
});
