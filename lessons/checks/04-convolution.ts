/** Check for exercise 4: im2col + matmul equals the library's direct convolution. */
import { conv2d, randn, Random } from '../../src/index.js';
import { expect, maxDifference } from '../helpers.js';
import { loadExercise } from './exercise.js';

const { conv2dIm2col } = await loadExercise<typeof import('../exercises/04-convolution.js')>('04-convolution');

const random = new Random(4);
for (const padding of [0, 1]) {
  const x = randn([2, 3, 6, 5], { dtype: 'float64', random });
  const w = randn([4, 3, 3, 3], { dtype: 'float64', random });
  const expected = conv2d(x, w, null, { padding });
  const got = conv2dIm2col(x, w, padding);
  expect(got.shape.join() === expected.shape.join(), `padding ${padding}: shape [${got.shape}] should be [${expected.shape}]`);
  const error = maxDifference(got.data, expected.data);
  expect(error < 1e-10, `padding ${padding}: values differ from conv2d by up to ${error}`);
  console.log(`padding ${padding}: im2col + matmul = conv2d, shape [${got.shape}] ✓`);
}
