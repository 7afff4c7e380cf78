/** Check for exercise 4: im2col + matmul equals the library's direct convolution, and autograd differentiates it. */
import { conv2d, gradCheck, randn, Random } from '../../src/index.js';
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
  // The gradients, for x as well as w, from autograd against float64 finite differences.
  const check = gradCheck((input, weight) => conv2dIm2col(input, weight, padding), [
    randn([2, 2, 5, 4], { dtype: 'float64', random }),
    randn([3, 2, 3, 3], { dtype: 'float64', random }),
  ]);
  expect(check.ok, `padding ${padding}: autograd's gradients of your function disagree with finite differences (max |error| ${check.maxAbsError.toExponential(1)}); ` +
    'is x copied out of its tensor by hand somewhere (x.data), cutting it from the graph?');
  console.log(`padding ${padding}: gradCheck passes for x and w (max |error| ${check.maxAbsError.toExponential(1)}) ✓`);
}
