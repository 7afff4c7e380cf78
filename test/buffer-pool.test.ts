import { afterEach, describe, expect, it } from 'vitest';
import { float32Buffer, freeBufferBytes, keepBuffer, reuseBuffers, setCheckBuffers, setSharedBuffers } from '../src/buffer-pool.js';
import { limitDataset, loadDataset } from '../src/data/datasets.js';
import { buildModel, modelConfig } from '../src/models/build.js';
import { SGD } from '../src/optim/sgd.js';
import { trainEpoch } from '../src/training/train.js';
import { crossEntropy, cw, fromArray, mim, pgd, Random, type Module, type Tensor } from '../src/index.js';

afterEach(() => setCheckBuffers(false));

describe('buffer pool: the rules', () => {
  it('hands a scope\'s buffers to the next scope, zero-filled', () => {
    const first = reuseBuffers(() => {
      const buffer = float32Buffer(1001);
      buffer.fill(7);
      return buffer;
    });
    const second = reuseBuffers(() => float32Buffer(1001));
    expect(second).toBe(first);
    expect(second.every((value) => value === 0)).toBe(true);
  });

  it('does not hand out a buffer of the other kind when the backend changed while its scope was open', () => {
    try {
      setSharedBuffers(true);
      const shared = reuseBuffers(() => {
        const buffer = float32Buffer(1005);
        // as setBackend('reference') after a webasm backend with its helper thread
        setSharedBuffers(false);
        return buffer;
      });
      expect(shared.buffer).toBeInstanceOf(SharedArrayBuffer);
      const next = reuseBuffers(() => float32Buffer(1005));
      expect(next).not.toBe(shared);
      expect(next.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    } finally {
      setSharedBuffers(false);
    }
  });

  it('makes new arrays when no scope is open, and never takes them back', () => {
    const outside = float32Buffer(1003);
    reuseBuffers(() => keepBuffer(outside));
    expect(reuseBuffers(() => float32Buffer(1003))).not.toBe(outside);
  });

  it('never hands out a kept buffer, also when it was kept through a view', () => {
    let kept: Float32Array | undefined;
    reuseBuffers(() => {
      kept = float32Buffer(1005);
      keepBuffer(new Float32Array(kept.buffer, 8, 4));
    });
    kept?.fill(3);
    for (let i = 0; i < 3; i++) expect(reuseBuffers(() => float32Buffer(1005))).not.toBe(kept);
    expect(kept?.every((value) => value === 3)).toBe(true);
  });

  it('gives a buffer kept in an inner scope to the scope around it', () => {
    let inner: Float32Array | undefined;
    reuseBuffers(() => {
      inner = reuseBuffers(() => {
        const buffer = float32Buffer(1007);
        keepBuffer(buffer);
        return buffer;
      });
      // still the outer scope's: a sibling scope does not get it
      expect(reuseBuffers(() => float32Buffer(1007))).not.toBe(inner);
    });
    expect(reuseBuffers(() => float32Buffer(1007))).toBe(inner);
  });

  it('frees a scope\'s buffers when it throws', () => {
    const before = freeBufferBytes();
    expect(() => reuseBuffers(() => {
      float32Buffer(1009);
      throw new Error('stop');
    })).toThrow('stop');
    expect(freeBufferBytes()).toBe(before + 4 * 1009);
  });

  it('with the check on, a tensor read after its scope reads NaN instead of another step\'s numbers', () => {
    setCheckBuffers(true);
    const escaped = reuseBuffers(() => fromArray([1, 2, 3], [3]).mul(2));
    expect(Number.isNaN(escaped.data[0])).toBe(true);
    expect(reuseBuffers(() => float32Buffer(3))).not.toBe(escaped.data);
  });
});

const data = loadDataset('mnist');

function trained(architecture: string, norm: string, checked: boolean): { parameters: number[][]; gradients: number[][]; losses: number[] } {
  setCheckBuffers(checked);
  const model = buildModel(modelConfig(architecture, norm), 3);
  const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 });
  const losses: number[] = [];
  trainEpoch(model, optimizer, limitDataset(data.train, 48), { batchSize: 16, seed: 3, epoch: 0, flip: false, onBatch: (progress) => losses.push(progress.loss) });
  return {
    parameters: model.parameters().map((parameter) => [...parameter.data]),
    gradients: model.parameters().map((parameter) => [...(parameter.grad?.data ?? [])]),
    losses,
  };
}

describe('buffer pool: the loops that reuse buffers compute what they computed without', () => {
  for (const [architecture, norm] of [['small-cnn', 'bn'], ['resnet8', 'rn']] as const) {
    it(`training ${architecture} with ${norm}: the same parameters, losses and final gradients as with every buffer new (the check mode)`, () => {
      const reused = trained(architecture, norm, false);
      const fresh = trained(architecture, norm, true);
      expect(reused.losses.every(Number.isFinite)).toBe(true);
      expect(reused.losses).toEqual(fresh.losses);
      expect(reused.parameters).toEqual(fresh.parameters);
      expect(reused.gradients).toEqual(fresh.gradients);
      expect(reused.gradients.flat().every(Number.isFinite)).toBe(true);
    }, 60_000);
  }

  it('a step\'s parameter gradients outlive it: a later step that takes buffers of their sizes leaves them as they were', () => {
    const model = buildModel(modelConfig('small-cnn', 'bn'), 3);
    const optimizer = new SGD(model.parameters(), { lr: 0 });
    trainEpoch(model, optimizer, limitDataset(data.train, 16), { batchSize: 16, seed: 3, epoch: 0, flip: false });
    const kept = model.parameters().map((parameter) => parameter.grad?.data as Float32Array);
    const values = kept.map((gradient) => Array.from(gradient));
    expect(Math.max(...values.flat().map(Math.abs))).toBeGreaterThan(1e-2);
    // another step (new gradients of the same sizes) must not be handed the arrays above
    reuseBuffers(() => {
      optimizer.zeroGrad();
      model.train();
      crossEntropy(model.forward(fromArray([...data.train.images.subarray(16 * 784, 32 * 784)], [16, 1, 28, 28])), data.train.labels.subarray(16, 32)).backward();
    });
    expect(kept.map((gradient) => Array.from(gradient))).toEqual(values);
    expect(model.parameters().every((parameter, i) => parameter.grad !== null && parameter.grad.data !== kept[i])).toBe(true);
  }, 60_000);

  function attacked(attack: (model: Module, x: Tensor, labels: Uint8Array) => Tensor, checked: boolean): number[] {
    setCheckBuffers(checked);
    const model = buildModel(modelConfig('small-cnn', 'bn'), 5).eval();
    const x = fromArray([...data.test.images.subarray(0, 16 * 784)], [16, 1, 28, 28]);
    return [...attack(model, x, data.test.labels.subarray(0, 16)).data];
  }

  const attacks: Array<[string, (model: Module, x: Tensor, labels: Uint8Array) => Tensor]> = [
    ['PGD', (model, x, labels) => pgd(model, x, labels, { eps: 0.1, nbIter: 4 }, new Random(2))],
    ['MIM', (model, x, labels) => mim(model, x, labels, { eps: 0.1, nbIter: 4 })],
    ['CW', (model, x, labels) => cw(model, x, labels, { maxIterations: 6, binarySearchSteps: 2 })],
  ];
  for (const [name, attack] of attacks) {
    it(`${name}: the same adversarial images as with every buffer new (the check mode)`, () => {
      const reused = attacked(attack, false);
      const fresh = attacked(attack, true);
      expect(reused.every(Number.isFinite)).toBe(true);
      expect(reused).toEqual(fresh);
    }, 60_000);
  }
});
