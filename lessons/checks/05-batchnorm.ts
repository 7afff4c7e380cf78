/** Check for exercise 5: your running-statistics update tracks BatchNorm2d's buffers batch after batch. */
import { BatchNorm2d, randn, Random } from '../../src/index.js';
import { expect } from '../helpers.js';
import { loadExercise } from './exercise.js';

const { updateRunningStatistics } = await loadExercise<typeof import('../exercises/05-batchnorm.js')>('05-batchnorm');

const random = new Random(5);
const layer = new BatchNorm2d(1, { momentum: 0.2, dtype: 'float64' });
let running = { mean: 0, variance: 1 };
for (let step = 0; step < 5; step++) {
  const x = randn([3, 1, 2, 2], { dtype: 'float64', random, mean: step, std: 2 });
  layer.forward(x);
  running = updateRunningStatistics(running, Array.from(x.data), 0.2);
  const mean = layer.runningMean.data[0] as number;
  const variance = layer.runningVar.data[0] as number;
  expect(Math.abs(running.mean - mean) < 1e-12, `after batch ${step + 1}: your μ̂ = ${running.mean}, BatchNorm2d's = ${mean}`);
  expect(Math.abs(running.variance - variance) < 1e-12, `after batch ${step + 1}: your σ̂² = ${running.variance}, BatchNorm2d's = ${variance} (biased or unbiased?)`);
}
console.log(`μ̂ = ${running.mean.toFixed(4)}, σ̂² = ${running.variance.toFixed(4)} after 5 batches, as BatchNorm2d ✓`);
