import { describe, expect, it } from 'vitest';
import { limitDataset, loadDataset } from '../src/data/datasets.js';
import { buildModel, modelConfig } from '../src/models/build.js';
import { SGD } from '../src/optim/sgd.js';
import { evaluate, trainEpoch } from '../src/training/train.js';
import { BasicBlock, randn, Random } from '../src/index.js';

const data = loadDataset('mnist');

function run(norm: string, seed: number, samples: number, epochs: number) {
  const model = buildModel(modelConfig('small-cnn', norm), seed);
  const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 });
  const losses: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    trainEpoch(model, optimizer, limitDataset(data.train, samples), { batchSize: 32, seed, epoch, flip: false, onBatch: (p) => losses.push(p.loss) });
  }
  return { model, losses };
}

describe('training end to end', () => {
  it('stops a diverging run, naming the epoch and step', () => {
    const model = buildModel(modelConfig('small-cnn', 'none'), 0);
    const optimizer = new SGD(model.parameters(), { lr: 1e6 });
    expect(() => trainEpoch(model, optimizer, limitDataset(data.train, 96), { batchSize: 32, seed: 0, epoch: 2, flip: false }))
      .toThrow(/training diverged: the loss of epoch 3, step \d+ is .*; lower the learning rate/);
  });

  it('the same seed gives the same loss curve', () => {
    const first = run('bn', 7, 64, 1).losses;
    const second = run('bn', 7, 64, 1).losses;
    const other = run('bn', 8, 64, 1).losses;
    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('smallCnn with BatchNorm: the loss falls over a few hundred samples', () => {
    const { model, losses } = run('bn', 0, 320, 2);
    const firstEpoch = losses[9] as number; // running mean over epoch 1
    const secondEpoch = losses[19] as number; // running mean over epoch 2
    expect(secondEpoch).toBeLessThan(0.9 * firstEpoch);
    // Chance is 10%; two short epochs on 320 images already do far better.
    expect(evaluate(model, limitDataset(data.test, 200), { batchSize: 100 })).toBeGreaterThan(0.3);
  });

  it('smallCnn with RobustNorm trains too', () => {
    const { losses } = run('rn', 0, 320, 2);
    expect(losses[19] as number).toBeLessThan(losses[0] as number);
  });

  it('a ResNet block keeps the shape, or changes it through its 1×1 shortcut', () => {
    const random = new Random(1);
    const same = new BasicBlock(4, 4, { norm: { kind: 'bn' }, random });
    const down = new BasicBlock(4, 8, { stride: 2, norm: { kind: 'rn' }, random });
    const x = randn([2, 4, 6, 6], { random });
    expect(same.forward(x).shape).toEqual([2, 4, 6, 6]);
    expect(down.forward(x).shape).toEqual([2, 8, 3, 3]);
    expect(same.shortcut).toBeNull();
    expect([...down.stateDict().keys()]).toContain('shortcut.0.weight');
  });

  it('resnet8 runs forward and backward on MNIST-sized input', () => {
    const model = buildModel(modelConfig('resnet8', 'ln'), 2);
    const x = limitDataset(data.train, 4);
    const optimizer = new SGD(model.parameters(), { lr: 0.01 });
    const result = trainEpoch(model, optimizer, x, { batchSize: 4, seed: 0, epoch: 0, flip: true });
    expect(Number.isFinite(result.loss)).toBe(true);
    expect(() => modelConfig('resnet21', 'bn')).toThrow(/unknown model "resnet21"/);
  });
});
