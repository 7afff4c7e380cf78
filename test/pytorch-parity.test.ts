/**
 * smallCnn trained for three SGD steps here and in PyTorch 1.13, from the same
 * starting weights on the same batches, must end with the same losses,
 * parameters, running statistics and eval-mode logits. The reference values
 * come from test/fixtures/make-pytorch-steps.py (see its header for how to
 * regenerate them); inputs and starting weights are sine formulas computed
 * identically on both sides.
 *
 * This checks a whole training step end to end (conv kernels, both norms'
 * forward and backward, ReLU, linear, cross-entropy, SGD with momentum and
 * weight decay, running-average updates, and eval mode) against an
 * independent implementation, on top of the per-op gradient checks.
 *
 * Known fragility: a step has ≈350,000 ReLU inputs, and some lie within
 * float32 rounding of zero. A kernel that sums in another (equally exact)
 * order can flip one of them, and that one flipped gradient moves later
 * parameters by 1e-4 to 1e-2 of their size. Seen on 2026-11-30: the stride-2
 * input gradient summing each phase's products in pairs (every call within
 * 4e-7 of the float64 reference) flipped one ReLU of bn3 in the second step on
 * two threads. If this test fails after a change of summation order only,
 * compare the ReLU masks step by step before suspecting the kernel.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../src/checkpoint/safetensors.js';
import { buildModel, modelConfig } from '../src/models/build.js';
import { crossEntropy, fromArray, noGrad, SGD, type Tensor } from '../src/index.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/pytorch-steps.safetensors', import.meta.url));
const reference = decodeSafetensors(readFileSync(FIXTURE), FIXTURE).tensors;

const BATCH = 16;
const STEPS = 3;
/** PyTorch's named_parameters() order; the phase of each starting-value formula depends on it. */
const PARAMETERS = [
  'conv1.weight', 'bn1.weight', 'bn1.bias', 'conv2.weight', 'bn2.weight', 'bn2.bias',
  'conv3.weight', 'bn3.weight', 'bn3.bias', 'linear.weight', 'linear.bias',
];

/** offset + scale · sin(frequency · i + phase), as the fixture script computes it (float64, then float32). */
function sine(count: number, frequency: number, phase: number, scale: number, offset = 0): number[] {
  return Array.from({ length: count }, (_, i) => offset + scale * Math.sin(frequency * i + phase));
}

/** Pixel i of image n: 0.5 + 0.5 sin(0.013 (n + 1) i + 0.7 n). */
function images(first: number, count: number): Tensor {
  const pixels: number[] = [];
  for (let n = first; n < first + count; n++) pixels.push(...sine(784, 0.013 * (n + 1), 0.7 * n, 0.5, 0.5));
  return fromArray(pixels, [count, 1, 28, 28]);
}

function labels(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (3 * (first + i) + 1) % 10);
}

function startingValues(index: number, name: string, tensor: Tensor): number[] {
  const phase = 1.7 * index + 0.3;
  if (name.startsWith('bn')) return sine(tensor.size, 0.61, phase, 0.1, name.endsWith('weight') ? 1 : 0);
  const fanIn = tensor.rank > 1 ? tensor.size / (tensor.shape[0] as number) : 64 * 7 * 7;
  return sine(tensor.size, 0.61, phase, 1 / Math.sqrt(fanIn));
}

/** The largest |ours − theirs| relative to the largest |theirs| in the tensor. */
function relativeError(ours: ArrayLike<number>, theirs: ArrayLike<number>): number {
  let worst = 0;
  let scale = 1e-12;
  for (let i = 0; i < theirs.length; i++) {
    worst = Math.max(worst, Math.abs((ours[i] as number) - (theirs[i] as number)));
    scale = Math.max(scale, Math.abs(theirs[i] as number));
  }
  return worst / scale;
}

function trainLikePyTorch(norm: 'bn' | 'rn') {
  const model = buildModel(modelConfig('small-cnn', norm, 0.2, null), 0);
  const parameters = model.stateDict();
  PARAMETERS.forEach((name, index) => {
    const parameter = parameters.get(name);
    if (!parameter) throw new Error(`smallCnn has no parameter ${name}`);
    parameter.data.set(startingValues(index, name, parameter));
  });
  const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
  const losses: number[] = [];
  model.train();
  for (let step = 0; step < STEPS; step++) {
    const loss = crossEntropy(model.forward(images(step * BATCH, BATCH)), labels(step * BATCH, BATCH));
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
  }
  model.eval();
  const logits = noGrad(() => model.forward(images(0, BATCH)));
  return { state: model.stateDict(), losses, logits };
}

function expected(name: string): Tensor {
  const tensor = reference.get(name);
  if (!tensor) throw new Error(`${FIXTURE} has no tensor ${name}`);
  return tensor;
}

describe.each(['bn', 'rn'] as const)('smallCnn with %s: three SGD steps match PyTorch', (norm) => {
  const result = trainLikePyTorch(norm);

  it('has the same loss at every step', () => {
    const theirs = expected(`${norm}.loss`).data;
    result.losses.forEach((loss, step) => expect(loss, `step ${step}`).toBeCloseTo(theirs[step] as number, 5));
  });

  it('ends with the same parameters and running statistics', () => {
    for (const [name, tensor] of result.state) {
      if (name.endsWith('num_batches_tracked')) continue;
      const theirs = expected(`${norm}.${name}`);
      expect(tensor.shape, name).toEqual(theirs.shape);
      expect(relativeError(tensor.data, theirs.data), name).toBeLessThan(1e-5);
    }
  });

  it('gives the same logits in eval mode', () => {
    expect(relativeError(result.logits.data, expected(`${norm}.eval_logits`).data)).toBeLessThan(1e-5);
  });
});
