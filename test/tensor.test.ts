import { describe, expect, it } from 'vitest';
import ndarray from 'ndarray';
import { formatTensor, fromArray, full, manualSeed, ones, rand, randn, Random, scalar, Tensor, zeros } from '../src/index.js';
import { argmaxRows } from '../src/ops/index.js';

describe('Tensor', () => {
  it('stores values flat and row-major', () => {
    const t = fromArray([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(t.dtype).toBe('float32');
  });

  it('creates float64 tensors on request', () => {
    const t = ones([2, 2], { dtype: 'float64' });
    expect(t.data).toBeInstanceOf(Float64Array);
    expect(full([3], 2.5).toList()).toEqual([2.5, 2.5, 2.5]);
    expect(zeros([0, 3]).size).toBe(0);
    expect(scalar(4).item()).toBe(4);
  });

  it('rejects values that do not fill the shape, naming both', () => {
    expect(() => fromArray([1, 2, 3], [2, 2])).toThrow(/3 values cannot fill shape \[2, 2\]/);
    expect(() => new Tensor(new Float32Array(5), [2, 3])).toThrow(/5 values cannot fill shape \[2, 3\]/);
    expect(() => fromArray([[1, 2], [3]])).toThrow(/ragged/);
  });

  it('names both shapes when broadcasting fails', () => {
    expect(() => ones([2, 3]).add(ones([4]))).toThrow(/\[2, 3\] and \[4\] cannot be broadcast/);
    expect(() => ones([2, 3]).matmul(ones([2, 3]))).toThrow(/\[2, 3\] and \[2, 3\] do not line up/);
    expect(() => ones([6]).reshape([4, -1])).toThrow(/cannot reshape \[6\]/);
  });

  it('refuses to mix dtypes', () => {
    expect(() => ones([2]).add(ones([2], { dtype: 'float64' }))).toThrow(/dtype mismatch/);
  });

  it('prints readably, eliding long axes', () => {
    const text = formatTensor(fromArray([[1, 2], [3, 4.5]]));
    expect(text).toContain('[[1, 2],');
    expect(text).toContain('4.5000');
    expect(text).toContain('shape=[2, 2]');
    expect(formatTensor(zeros([10]))).toContain('…');
  });

  it('converts to and from ndarray views', () => {
    const t = fromArray([[1, 2, 3], [4, 5, 6]]);
    const view = t.toNdarray();
    expect(view.get(1, 2)).toBe(6);
    view.set(0, 0, 9);
    expect(t.data[0]).toBe(9); // the view shares memory
    const transposed = ndarray(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]).transpose(1, 0);
    const back = Tensor.fromNdarray(transposed);
    expect(back.shape).toEqual([3, 2]);
    expect(back.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
  });

  it('detach shares values, clone copies them', () => {
    const t = fromArray([1, 2]);
    t.detach().data[0] = 5;
    expect(t.data[0]).toBe(5);
    t.clone().data[0] = 7;
    expect(t.data[0]).toBe(5);
  });
});

describe('seeded randomness', () => {
  it('the same seed gives the same numbers', () => {
    const a = randn([100], { random: new Random(42) });
    const b = randn([100], { random: new Random(42) });
    const c = randn([100], { random: new Random(43) });
    expect(a.toList()).toEqual(b.toList());
    expect(a.toList()).not.toEqual(c.toList());
  });

  it('manualSeed resets the default generator', () => {
    manualSeed(7);
    const first = rand([5]).toList();
    manualSeed(7);
    expect(rand([5]).toList()).toEqual(first);
  });

  it('has roughly the right moments and range', () => {
    const normal = randn([20000], { random: new Random(1), dtype: 'float64' });
    const mean = normal.mean().item();
    const variance = normal.sub(mean).pow(2).mean().item();
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    const uniform = rand([20000], { random: new Random(2), low: -1, high: 3 });
    expect(uniform.min().item()).toBeGreaterThanOrEqual(-1);
    expect(uniform.max().item()).toBeLessThan(3);
    expect(Math.abs(uniform.mean().item() - 1)).toBeLessThan(0.05);
  });

  it('shuffles deterministically into a permutation', () => {
    const p = new Random(5).permutation(50);
    expect(p).toEqual(new Random(5).permutation(50));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

describe('argmaxRows', () => {
  it('gives each row the index of its largest value, the first one on ties', () => {
    expect(argmaxRows(fromArray([0.1, 0.7, 0.2, 5, 5, -1, -3, -2, -2.5], [3, 3]))).toEqual([1, 0, 1]);
  });

  it('names the shape it cannot read as [rows, classes]', () => {
    expect(() => argmaxRows(fromArray([1, 2, 3], [3]))).toThrow(/argmaxRows: expects \[rows, classes\], got \[3\]/);
  });
});
