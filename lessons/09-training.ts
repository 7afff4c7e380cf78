/**
 * Lesson 9: SGD with momentum, a step schedule, and a small adversarial-training
 * run.  Run: npm run lesson -- 9
 * Read along: lessons/09-training.md
 */
import {
  evaluate, evaluateRobustness, fromArray, limitDataset, loadDataset, multiStepLR, pgd, Random, SGD, stepLR, trainEpoch,
  type Module, type Tensor,
} from '../src/index.js';
import { FAST, heading, size, timed, tinyCnn } from './helpers.js';

heading('SGD on an ill-conditioned bowl: f(θ) = ½(θ₁² + 25·θ₂²)');
for (const momentum of [0, 0.9]) {
  const theta = fromArray([1, 1], undefined, { dtype: 'float64', requiresGrad: true });
  const optimizer = new SGD([theta], { lr: 0.035, momentum });
  const scale = fromArray([1, 25], undefined, { dtype: 'float64' });
  let steps = 0;
  let value = Infinity;
  while (steps < 500) {
    const loss = theta.pow(2).mul(scale).sum().mul(0.5);
    value = loss.item();
    if (value < 1e-6) break;
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step(); // b ← μ·b + g;  θ ← θ − lr·b
    steps++;
  }
  console.log(`  momentum ${momentum}: f < 1e-6 after ${steps} steps (f = ${value.toExponential(1)})`);
}

heading('Step schedules: the learning rate per epoch');
const paper = multiStepLR(0.1, [30], 0.1); // the paper's MNIST schedule: ÷10 at epoch 30 (of 50)
const every2 = stepLR(0.05, 2, 0.1);
console.log('  multiStepLR(0.1, [30]):', [0, 29, 30, 49].map((epoch) => `epoch ${epoch} → ${paper(epoch).toPrecision(2)}`).join(', '));
console.log('  stepLR(0.05, 2):       ', [0, 1, 2, 3, 4].map((epoch) => `epoch ${epoch} → ${every2(epoch).toPrecision(2)}`).join(', '));

const data = loadDataset('mnist');
const train = limitDataset(data.train, size(1024, 128));
const test = limitDataset(data.test, size(256, 64));
const epochs = size(3, 1);
const EPS = 0.1; // pixels
const schedule = multiStepLR(0.05, [2], 0.1);

/** Trains for `epochs` with the schedule; `perturb` replaces each batch by adversarial examples. */
function fit(model: Module, perturb?: (model: Module, images: Tensor, labels: Uint8Array) => Tensor): void {
  const optimizer = new SGD(model.parameters(), { lr: schedule(0), momentum: 0.9, weightDecay: 1e-4 });
  for (let epoch = 0; epoch < epochs; epoch++) {
    optimizer.lr = schedule(epoch); // a schedule is a function of the epoch; set it before each epoch
    const result = trainEpoch(model, optimizer, train, { batchSize: 64, seed: 0, epoch, flip: false, ...(perturb ? { perturb } : {}) });
    console.log(`  epoch ${epoch}: lr ${optimizer.lr.toPrecision(2)}, loss ${result.loss.toFixed(3)}, train accuracy ${(100 * result.accuracy).toFixed(1)}% (${result.seconds.toFixed(1)} s)`);
  }
}

heading(`Normal training: tiny BatchNorm CNN, ${train.count} digits, ${epochs} epoch(s), lr ÷10 at epoch 2${FAST ? ' (fast mode)' : ''}`);
const normal = tinyCnn('bn', 0);
timed('normal training', () => fit(normal));

heading(`Adversarial training: every batch replaced by PGD examples (ε = ${EPS}, 3 steps of ε/4)`);
// As the paper's code (and src/attacks/adversarial-training.ts): the examples are made in training mode,
// so PGD's forward passes use the batch's statistics and also update the running averages.
const random = new Random(1);
const adversarial = tinyCnn('bn', 0);
timed('adversarial training', () => fit(adversarial, (model, images, labels) => {
  model.train();
  return pgd(model, images, labels, { eps: EPS, epsIter: EPS / 4, nbIter: 3 }, random);
}));

heading(`Clean and PGD accuracy on ${test.count} test digits (PGD: ε = ${EPS}, ${size(10, 3)} steps)`);
console.log('  model          stat   clean     PGD');
for (const [name, model] of [['normal', normal], ['adversarial', adversarial]] as const) {
  for (const statistics of ['population', 'batch'] as const) {
    const result = evaluateRobustness(model, test, { attacks: ['pgd'], statistics, batchSize: 128, eps: EPS, nbIter: size(10, 3), seed: 0 });
    console.log(`  ${name.padEnd(13)}  ${statistics === 'population' ? 'P' : 'B'}     ${(100 * result.cleanAccuracy).toFixed(1).padStart(5)}   ${(100 * (result.attacks[0]?.accuracy ?? 0)).toFixed(1).padStart(5)}`);
  }
}
console.log(`  (evaluate() gives clean accuracy alone: ${(100 * evaluate(adversarial, test, { batchSize: 128, statistics: 'population' })).toFixed(1)}% for the adversarial model, population statistics)`);
