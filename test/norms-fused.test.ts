/**
 * The fused float32 BatchNorm, RobustNorm and LayerNorm (batchNorm2dFused,
 * robustNorm2dFused, layerNormFused) compute exactly what the readable per-channel path
 * computes: the same output, the same three gradients and the same running
 * statistics, bit for bit, in every mode, on odd shapes, with tied extremes
 * and constant channels; and with a ReLU folded in (fused-relu.ts), exactly
 * what the relu op computes after the readable path.
 */
import { describe, expect, it } from 'vitest';
import { BatchNorm2d, batchNorm2d, LayerNorm, layerNorm, RobustNorm2d, robustNorm2d, Tensor, type NormStatistics } from '../src/index.js';
import { normRelu } from '../src/internals.js';
import { chain } from '../src/nn/fused-relu.js';
import { Conv2d, ReLU } from '../src/nn/layers.js';
import { Random } from '../src/random.js';
import { batchNorm2dFused } from '../src/fast/batch-norm-fused.js';
import { robustNorm2dFused } from '../src/fast/robust-norm-fused.js';
import { layerNormFused } from '../src/fast/layer-norm-fused.js';
import { randomTensor } from './helpers.js';

const shapes: Array<[string, number[]]> = [
  ['N > 1', [3, 5, 4, 3]],
  ['N = 1', [1, 3, 2, 2]],
  ['H·W = 1', [4, 3, 1, 1]],
  ['2-D [N, C]', [6, 3]],
];
const modes: NormStatistics[] = ['population', 'batch', 'population-mean'];
/** LayerNorm's group is a sample: with C = 1 every sample of input() is constant (σ² = 0). */
const layerNormShapes: Array<[string, number[]]> = [...shapes, ['constant samples', [3, 1, 2, 2]]];

/** float32 input with ties: values rounded to quarters, channel 0 constant. */
function input(shape: number[], seed: number): Tensor {
  const x = randomTensor(shape, seed).to('float32');
  const [N, C] = shape as [number, number];
  const plane = x.size / (N * C);
  for (let i = 0; i < x.size; i++) {
    const channel = Math.floor(i / plane) % C;
    x.data[i] = channel === 0 ? 0.5 : Math.round((x.data[i] as number) * 4) / 4;
  }
  return x;
}

function bits(tensor: Tensor | null): number[] {
  if (tensor === null) return [];
  return Array.from(new Uint32Array(Float32Array.from(tensor.data).buffer));
}

type Layer = (x: Tensor, w: Tensor, b: Tensor, fused: boolean) => { y: Tensor; running: Tensor[] };

/** `frozen`: γ and β do not require grad (an attack on a model in eval mode), so only ∂L/∂x is computed. */
function compare(layer: Layer, shape: number[], frozen = false): void {
  const C = shape[1] as number;
  const x = input(shape, 1);
  const w = randomTensor([C], 2, { offset: 1, scale: 0.3 }).to('float32');
  const b = randomTensor([C], 3, { scale: 0.5 }).to('float32');
  const gradOut = randomTensor(shape, 4).to('float32');
  const run = (fused: boolean) => {
    const [xl, wl, bl] = [x, w, b].map((t, i) => t.clone().requireGrad(i === 0 || !frozen)) as [Tensor, Tensor, Tensor];
    const { y, running } = layer(xl, wl, bl, fused);
    y.backward(gradOut);
    return [y, xl.grad, wl.grad, bl.grad, ...running].map((t) => bits(t ?? null));
  };
  const readable = run(false);
  const fused = run(true);
  expect(fused).toEqual(readable);
}

describe.each([false, true])('ReLU folded in: %s', (relu) => {
  describe.each([true, false])('training %s', (training) => {
    describe.each(modes)('statistics %s', (statistics) => {
      it.each(shapes)('BatchNorm, %s', (_, shape) => {
        compare((x, w, b, fused) => {
          const C = shape[1] as number;
          const state = { runningMean: randomTensor([C], 5, { scale: 0.5 }).to('float32'), runningVar: randomTensor([C], 6).abs().add(0.5).to('float32') };
          return { y: (fused ? batchNorm2dFused : batchNorm2d)(x, w, b, state, { training, statistics, eps: 1e-5, momentum: 0.1, relu }), running: [state.runningMean, state.runningVar] };
        }, shape);
      });

      it.each(shapes)('RobustNorm, %s', (_, shape) => {
        compare((x, w, b, fused) => {
          const C = shape[1] as number;
          const state = { runningMean: randomTensor([C], 5, { scale: 0.5 }).to('float32'), runningRange: randomTensor([C], 7).abs().add(1.5).to('float32') };
          return { y: (fused ? robustNorm2dFused : robustNorm2d)(x, w, b, state, { training, statistics, power: 0.2, eps: 1e-5, momentum: 0.1, relu }), running: [state.runningMean, state.runningRange] };
        }, shape);
      });
    });
  });

  describe('LayerNorm (each sample\'s own statistics, so no modes)', () => {
    const layer: Layer = (x, w, b, fused) => {
      if (fused) return { y: layerNormFused(x, w, b, 1e-5, relu), running: [] };
      const y = layerNorm(x, w, b, 1e-5);
      return { y: relu ? y.relu() : y, running: [] };
    };
    it.each(layerNormShapes)('%s', (_, shape) => compare(layer, shape));
    it.each(layerNormShapes)('frozen γ and β, %s', (_, shape) => compare(layer, shape, true));
  });

  describe.each(modes)('frozen γ and β, inference with %s statistics', (statistics) => {
    it.each(shapes)('BatchNorm, %s', (_, shape) => {
      compare((x, w, b, fused) => {
        const C = shape[1] as number;
        const state = { runningMean: randomTensor([C], 5, { scale: 0.5 }).to('float32'), runningVar: randomTensor([C], 6).abs().add(0.5).to('float32') };
        return { y: (fused ? batchNorm2dFused : batchNorm2d)(x, w, b, state, { training: false, statistics, eps: 1e-5, momentum: 0.1, relu }), running: [state.runningMean, state.runningVar] };
      }, shape, true);
    });

    it.each(shapes)('RobustNorm, %s', (_, shape) => {
      compare((x, w, b, fused) => {
        const C = shape[1] as number;
        const state = { runningMean: randomTensor([C], 5, { scale: 0.5 }).to('float32'), runningRange: randomTensor([C], 7).abs().add(1.5).to('float32') };
        return { y: (fused ? robustNorm2dFused : robustNorm2d)(x, w, b, state, { training: false, statistics, power: 0.2, eps: 1e-5, momentum: 0.1, relu }), running: [state.runningMean, state.runningRange] };
      }, shape, true);
    });
  });
});

it('reports a γ of the wrong size on the fused path too', () => {
  const x = input([2, 3, 2, 2], 1);
  const w = new Tensor(new Float32Array(2), [2]);
  const state = { runningMean: new Tensor(new Float32Array(3), [3]), runningVar: new Tensor(new Float32Array(3).fill(1), [3]) };
  expect(() => batchNorm2d(x, w, w, state, { training: true, statistics: 'batch', eps: 1e-5, momentum: 0.1 })).toThrow(/3 channels but weight \[2\]/);
});

describe.each([
  ['BatchNorm2d', () => new BatchNorm2d(3)],
  ['RobustNorm2d', () => new RobustNorm2d(3)],
  ['LayerNorm', () => new LayerNorm(3)],
] as const)('normRelu on a %s layer', (_, makeLayer) => {
  it.each([true, false])('equals forward(x).relu() in training %s, gradients included, and counts one batch', (training) => {
    const x = input([4, 3, 3, 2], 1);
    const gradOut = randomTensor([4, 3, 3, 2], 4).to('float32');
    const run = (fold: boolean) => {
      const layer = makeLayer();
      layer.weight.data.set([1.5, -0.5, 0.8]);
      layer.bias.data.set([0.1, 0.3, -0.2]);
      if (!training) layer.eval();
      const xl = x.clone().requireGrad();
      const y = fold ? normRelu(layer, xl) : layer.forward(xl).relu();
      y.backward(gradOut);
      const { runningMean, numBatchesTracked } = layer as Partial<BatchNorm2d>;
      return [y, xl.grad, layer.weight.grad, layer.bias.grad, runningMean, numBatchesTracked].map((t) => bits(t ?? null));
    };
    const folded = run(true);
    expect(folded).toEqual(run(false));
    // the ReLU did something: some outputs were clamped to 0 and some kept
    const y = new Float32Array(new Uint32Array(folded[0] as number[]).buffer);
    expect(y.some((value) => value === 0) && y.some((value) => value > 0)).toBe(true);
  });
});

describe('chain, as the models list their layers', () => {
  it('folds a ReLU after a norm (the norm\'s forwardRelu runs) and computes what the layers one by one compute, bit for bit', () => {
    const random = new Random(3);
    const conv = new Conv2d(3, 4, 3, { padding: 1, random });
    const conv2 = new Conv2d(4, 2, 3, { padding: 1, random });
    const norm = new BatchNorm2d(4);
    const relu = new ReLU();
    const x = input([2, 3, 5, 4], 1);
    let folded = 0;
    const forwardRelu = norm.forwardRelu.bind(norm);
    norm.forwardRelu = (value: Tensor) => (folded++, forwardRelu(value));
    const chained = chain(x, conv, norm, relu, conv2);
    expect(folded).toBe(1);
    const plain = new BatchNorm2d(4);
    const oneByOne = conv2.forward(relu.forward(plain.forward(conv.forward(x))));
    expect(bits(chained)).toEqual(bits(oneByOne));
  });
});

