/**
 * Adam against torch.optim.Adam: test/fixtures/adam-steps.json holds the
 * parameter after each of six steps as PyTorch computed it (see
 * test/fixtures/make-adam-steps.py for the starting values, gradients and settings).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Adam, fromArray } from '../src/index.js';

interface AdamCase { lr: number; betas: [number, number]; eps: number; float64: number[][]; float32: number[][] }
const fixture = JSON.parse(readFileSync(new URL('./fixtures/adam-steps.json', import.meta.url), 'utf8')) as { size: number; steps: number; cases: AdamCase[] };

// The same formulas as make-adam-steps.py.
const start = (i: number) => 0.3 * Math.sin(0.9 * i + 0.2);
const gradient = (step: number, i: number) => (i === 3 && step % 2 === 0 ? 0 : Math.sin(1.7 * i + 0.61 * step) * (1 + 0.5 * i));
const indices = Array.from({ length: fixture.size }, (_, i) => i);

describe('Adam (PyTorch update rule)', () => {
  for (const [n, testCase] of fixture.cases.entries()) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`matches torch.optim.Adam over ${fixture.steps} steps, case ${n + 1} (lr ${testCase.lr}, betas ${testCase.betas.join(', ')}, eps ${testCase.eps}), ${dtype}`, () => {
        const parameter = fromArray(indices.map(start), [fixture.size], { dtype, requiresGrad: true });
        const adam = new Adam([parameter], { lr: testCase.lr, betas: testCase.betas, eps: testCase.eps });
        const tolerance = dtype === 'float64' ? 1e-14 : 2e-7;
        for (let step = 1; step <= fixture.steps; step++) {
          parameter.grad = fromArray(indices.map((i) => gradient(step, i)), [fixture.size], { dtype });
          adam.step();
          const expected = testCase[dtype][step - 1] as number[];
          parameter.toList().forEach((value, i) => expect(Math.abs((value as number) - (expected[i] as number))).toBeLessThan(tolerance));
        }
      });
    }
  }

  it('leaves a parameter without a gradient alone, and zeroGrad forgets gradients', () => {
    const moved = fromArray([1], [1], { dtype: 'float64', requiresGrad: true });
    const still = fromArray([2], [1], { dtype: 'float64', requiresGrad: true });
    moved.grad = fromArray([0.5], [1], { dtype: 'float64' });
    const adam = new Adam([moved, still], { lr: 0.1 });
    adam.step();
    // step 1: m̂ = g and v̂ = g², so θ moves by lr·g/(|g| + ε) ≈ lr
    expect(moved.data[0]).toBeCloseTo(0.9, 7);
    expect(still.data[0]).toBe(2);
    adam.zeroGrad();
    expect(moved.grad).toBeNull();
  });

  it('rejects bad settings and says where a gradient is not finite', () => {
    const p = fromArray([1, 2], [2], { requiresGrad: true });
    expect(() => new Adam([p], { lr: -1 })).toThrow(/learning rate/);
    expect(() => new Adam([p], { lr: 0.1, betas: [0.9, 1] })).toThrow(/betas/);
    p.grad = fromArray([0, Number.NaN], [2]);
    expect(() => new Adam([p], { lr: 0.1 }).step()).toThrow(/parameter 0 .*NaN at index 1/);
  });
});
