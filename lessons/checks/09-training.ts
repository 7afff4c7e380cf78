/** Check for exercise 9: your SGD step follows the library's SGD over four steps. */
import { fromArray, Random, SGD } from '../../src/index.js';
import { expect, maxDifference } from '../helpers.js';
import { loadExercise } from './exercise.js';

const { sgdStep } = await loadExercise<typeof import('../exercises/09-training.js')>('09-training');

const options = { lr: 0.1, momentum: 0.9, weightDecay: 0.01 };
const parameter = fromArray([0.5, -1, 2], undefined, { dtype: 'float64', requiresGrad: true });
const optimizer = new SGD([parameter], options);
let theta = [0.5, -1, 2];
let buffer: number[] | null = null;
const random = new Random(9);
for (let step = 0; step < 4; step++) {
  const grad = [random.normal(), random.normal(), random.normal()];
  parameter.grad = fromArray(grad, undefined, { dtype: 'float64' });
  optimizer.step();
  ({ theta, buffer } = sgdStep(theta, grad, buffer, options));
  const error = maxDifference(theta, parameter.data);
  expect(error < 1e-12, `step ${step + 1}: your θ = ${theta} but SGD's is ${Array.from(parameter.data)}`);
}
console.log(`θ after 4 steps = ${theta.map((v) => v.toFixed(5)).join(', ')}, as SGD ✓`);
