/**
 * Lesson 8: the five attacks side by side on one batch, with PNGs of the
 * adversarial examples.  Run: npm run lesson -- 8
 * Read along: lessons/08-attacks.md
 */
import { join } from 'node:path';
import { batches, bim, crossEntropy, cw, fgsm, limitDataset, loadDataset, mim, noGrad, PAPER_INPUT_STD, pgd, Random, SGD, trainEpoch, type Tensor } from '../src/index.js';
import { writeExampleGrid } from '../src/cli/example-grid.js';
import { FAST, heading, size, timed, tinyCnn } from './helpers.js';

const EPS = 0.1; // L∞ radius in pixel units (the paper's MNIST ε = 0.2 is 0.2 · 0.3081 ≈ 0.062 here)
const OUT = join('runs', 'lessons');

heading(`Train a tiny BatchNorm CNN briefly${FAST ? ' (fast mode)' : ''}`);
const data = loadDataset('mnist');
const model = tinyCnn('bn');
const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
timed('training', () => {
  for (let epoch = 0; epoch < size(2, 1); epoch++) {
    const result = trainEpoch(model, optimizer, limitDataset(data.train, size(1024, 256)), { batchSize: 64, seed: 0, epoch, flip: false });
    console.log(`  epoch ${epoch}: train accuracy ${(100 * result.accuracy).toFixed(1)}%`);
  }
});
model.eval(); // attacks run in inference mode, with population statistics (ordinary BatchNorm)
model.setNormStatistics('population');

const count = size(256, 64);
const batch = batches(limitDataset(data.test, count), { batchSize: count }).next().value as { images: Tensor; labels: Uint8Array };
const predict = (images: Tensor): number[] => noGrad(() => {
  const logits = model.forward(images);
  return Array.from({ length: images.shape[0] as number }, (_, n) => {
    const row = Array.from(logits.data.subarray(n * 10, n * 10 + 10));
    return row.indexOf(Math.max(...row));
  });
});
const lossOf = (images: Tensor): number => noGrad(() => crossEntropy(model.forward(images), batch.labels, 'mean').item());
const cleanPredictions = predict(batch.images);
const SHOWN = 16; // digits whose predictions are listed

heading(`Five attacks on ${count} test digits, ε = ${EPS}`);
const random = new Random(0);
// CW-L2 as the reproduction runs it: c = 10, Adam's rate 0.02 (= the paper's ε/10), distances in the paper's units.
const cwSettings = { initialConst: 10, learningRate: 0.02, distanceUnit: PAPER_INPUT_STD };
const attacks: Array<[string, () => Tensor]> = [
  ['FGSM', () => fgsm(model, batch.images, batch.labels, { eps: EPS })], // one signed-gradient step of ε
  ['BIM', () => bim(model, batch.images, batch.labels, { eps: EPS, nbIter: size(20, 5) })], // steps of ε/10, clipped to the ε-ball
  ['PGD', () => pgd(model, batch.images, batch.labels, { eps: EPS, nbIter: size(20, 5) }, random)], // BIM from a random start
  ['MIM', () => mim(model, batch.images, batch.labels, { eps: EPS, nbIter: size(20, 5) })], // BIM with momentum on normalized gradients
  ['CW', () => cw(model, batch.images, batch.labels, { ...cwSettings, maxIterations: size(10, 3), binarySearchSteps: size(3, 1) })], // the paper's budget
  ['CW-100', () => cw(model, batch.images, batch.labels, { ...cwSettings, maxIterations: size(100, 6), binarySearchSteps: 1 })], // 100 Adam steps at c = 10, one round
];
const accuracyOf = (predictions: number[]) => (100 * predictions.filter((p, n) => p === batch.labels[n]).length) / batch.labels.length;
const listed = (predictions: number[]): string => Array.from(batch.labels.subarray(0, SHOWN), (label, n) => `${label}→${predictions[n]}${predictions[n] === label ? ' ' : '*'}`).join(' ');
console.log(`  attack   accuracy   mean loss   mean ‖δ‖∞   mean ‖δ‖₂   ${'time'.padStart(7)}`);
console.log(`  clean    ${accuracyOf(cleanPredictions).toFixed(1).padStart(7)}%   ${lossOf(batch.images).toFixed(3).padStart(9)}`);
const predictionRows: string[] = [`  clean    ${listed(cleanPredictions)}`];
for (const [name, run] of attacks) {
  const start = performance.now();
  const adversarial = run();
  const seconds = (performance.now() - start) / 1000;
  const predictions = predict(adversarial);
  let linf = 0;
  let l2 = 0;
  const perImage = 784;
  for (let n = 0; n < batch.labels.length; n++) {
    let max = 0;
    let squares = 0;
    for (let i = n * perImage; i < (n + 1) * perImage; i++) {
      const difference = (adversarial.data[i] as number) - (batch.images.data[i] as number);
      max = Math.max(max, Math.abs(difference));
      squares += difference * difference;
    }
    linf += max / batch.labels.length;
    l2 += Math.sqrt(squares) / batch.labels.length;
  }
  console.log(`  ${name.padEnd(6)}   ${accuracyOf(predictions).toFixed(1).padStart(7)}%   ${lossOf(adversarial).toFixed(3).padStart(9)}   ${linf.toFixed(3).padStart(9)}   ${l2.toFixed(3).padStart(9)}   ${`${seconds.toFixed(1)} s`.padStart(7)}`);
  predictionRows.push(`  ${name.padEnd(6)}   ${listed(predictions)}`);
  if (name === 'CW-100') continue;
  const file = join(OUT, `08-${name.toLowerCase()}.png`);
  writeExampleGrid(file, Array.from({ length: Math.min(8, batch.labels.length) }, (_, n) => ({
    clean: batch.images.data.slice(n * perImage, (n + 1) * perImage) as Float32Array,
    adversarial: adversarial.data.slice(n * perImage, (n + 1) * perImage) as Float32Array,
    label: batch.labels[n] as number,
    cleanPrediction: cleanPredictions[n] as number,
    adversarialPrediction: predictions[n] as number,
  })), name === 'CW' ? Math.max(linf, 1e-6) : EPS);
}
console.log('  (loss: the mean cross-entropy of the adversarial batch, what the L∞ attacks climb; ‖δ‖ in pixels)');

heading(`The first ${SHOWN} digits: label → prediction (* = fooled)`);
for (const row of predictionRows) console.log(row);
console.log(`\n  PNGs in ${OUT}/08-<attack>.png: per image, the clean digit, the perturbation (grey = 0), and the adversarial digit,`);
console.log('  each under its predicted label (green: correct, red: wrong).');
