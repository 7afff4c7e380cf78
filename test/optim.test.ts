import { describe, expect, it } from 'vitest';
import { constantLR, fromArray, multiStepLR, SGD, stepLR, type Tensor } from '../src/index.js';

function parameterWithGrad(values: number[], grad: number[]): Tensor {
  const parameter = fromArray(values, [values.length], { dtype: 'float64', requiresGrad: true });
  parameter.grad = fromArray(grad, [grad.length], { dtype: 'float64' });
  return parameter;
}

describe('SGD (PyTorch update rule)', () => {
  it('plain step: θ ← θ − lr·g', () => {
    const p = parameterWithGrad([1, -2], [0.5, 1]);
    new SGD([p], { lr: 0.1 }).step();
    expect(p.toList()).toEqual([1 - 0.05, -2 - 0.1]);
  });

  it('weight decay, momentum and dampening over three steps', () => {
    const p = parameterWithGrad([1], [0.5]);
    const sgd = new SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.01, dampening: 0.2 });
    // Hand computation: g = ∇ + λθ; b₁ = g; bₜ = 0.9·b + 0.8·g; θ ← θ − 0.1·b
    let theta = 1;
    let buffer = 0;
    for (let step = 0; step < 3; step++) {
      sgd.step();
      const g = 0.5 + 0.01 * theta;
      buffer = step === 0 ? g : 0.9 * buffer + 0.8 * g;
      theta -= 0.1 * buffer;
      expect(p.data[0]).toBeCloseTo(theta, 14);
    }
  });

  it('Nesterov: θ ← θ − lr·(g + μ·b)', () => {
    const p = parameterWithGrad([2], [1]);
    const sgd = new SGD([p], { lr: 0.5, momentum: 0.5, nesterov: true });
    sgd.step(); // b = 1, step = 1 + 0.5·1 = 1.5
    expect(p.data[0]).toBeCloseTo(2 - 0.75, 14);
    sgd.step(); // b = 0.5·1 + 1 = 1.5, step = 1 + 0.75 = 1.75
    expect(p.data[0]).toBeCloseTo(1.25 - 0.875, 14);
  });

  it('skips parameters without a gradient, and refuses NaN gradients naming the parameter', () => {
    const untouched = fromArray([3], [1], { requiresGrad: true });
    const bad = parameterWithGrad([1], [Number.NaN]);
    new SGD([untouched], { lr: 1 }).step();
    expect(untouched.toList()).toEqual([3]);
    expect(() => new SGD([bad], { lr: 1 }).step()).toThrow(/gradient of parameter 0.*NaN/);
  });
});

describe('learning-rate schedules', () => {
  it('constant', () => {
    expect([0, 5, 50].map(constantLR(0.1))).toEqual([0.1, 0.1, 0.1]);
  });

  it('StepLR: lr · γ^⌊epoch/step⌋', () => {
    const schedule = stepLR(1, 2, 0.5);
    expect([0, 1, 2, 3, 4].map(schedule)).toEqual([1, 1, 0.5, 0.5, 0.25]);
  });

  it("MultiStepLR: the paper's ÷10 at epoch 30", () => {
    const schedule = multiStepLR(0.1, [30], 0.1);
    expect(schedule(29)).toBe(0.1);
    expect(schedule(30)).toBeCloseTo(0.01, 15);
    const twoSteps = multiStepLR(1, [80, 120], 0.1);
    expect([79, 80, 119, 120].map(twoSteps).map((v) => Number(v.toPrecision(12)))).toEqual([1, 0.1, 0.1, 0.01]);
  });
});
