/**
 * Check for exercise 6b: the owned image's loss gradient matches the one the
 * library's one-in-a-batch attack climbs (attacks/part-of-batch.ts), is a
 * derivative (a finite difference along it agrees), and reaches the other
 * images' pixels with batch statistics but not with population statistics.
 */
import { ownedLossGradient } from '../../src/attacks/part-of-batch.js';
import { crossEntropy, limitDataset, loadDataset, noGrad, SGD, Tensor, trainEpoch } from '../../src/index.js';
import { expect, maxDifference, tinyCnn } from '../helpers.js';
import { loadExercise } from './exercise.js';

const { ownImageGradient } = await loadExercise<typeof import('../exercises/06b-statistics-or-attack.js')>('06b-statistics-or-attack');

const data = loadDataset('mnist');
const model = tinyCnn('bn');
const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
trainEpoch(model, optimizer, limitDataset(data.train, 256), { batchSize: 64, seed: 0, epoch: 0, flip: false });
const test = limitDataset(data.test, 8);
const x = new Tensor(Float32Array.from(test.images), [8, 1, 28, 28]);
const labels = Array.from(test.labels);
const image = 3;
const perImage = 28 * 28;
model.eval();

model.setNormStatistics('batch');
const yours = ownImageGradient(model, x, labels, image);
expect(yours.length === x.size, `expected ${x.size} values (the whole batch), got ${yours.length}`);
const library = ownedLossGradient(model, x, labels, labels.map((_, i) => (i === image ? 1 : 0)));
const scale = Math.max(...Array.from(library, Math.abs));
expect(maxDifference(yours, library) <= 1e-4 * scale, `your gradient differs from the attack's by ${maxDifference(yours, library)} (largest value ${scale})`);

const norm = Math.sqrt(yours.reduce((sum, g) => sum + g * g, 0));
const lossAt = (sign: number) => noGrad(() => {
  const logits = model.forward(new Tensor(x.data.map((v, i) => v + (sign * 1e-2 * (yours[i] as number)) / norm), x.shape));
  return crossEntropy(new Tensor(Float32Array.from(logits.data.subarray(image * 10, image * 10 + 10)), [1, 10]), [labels[image] as number], 'sum').item();
});
const numeric = (lossAt(1) - lossAt(-1)) / 2e-2;
expect(Math.abs(numeric - norm) <= 0.05 * norm, `a finite difference along your gradient gives ${numeric}, your gradient's length is ${norm}`);

const others = (grad: Float32Array) => Math.max(...Array.from(grad, (g, i) => (Math.floor(i / perImage) === image ? 0 : Math.abs(g))));
expect(others(yours) > 0, 'with batch statistics the other images should get a gradient (through μ_B and σ²_B)');
model.setNormStatistics('population');
expect(others(ownImageGradient(model, x, labels, image)) === 0, 'with population statistics the other images should get no gradient');
console.log(`one image's loss gradient matches the attack's and a finite difference; it reaches the other ${x.shape[0] as number - 1} images only through batch statistics ✓`);
