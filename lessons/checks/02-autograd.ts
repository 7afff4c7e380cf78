/** Check for exercise 2: backward() through softplus agrees with the hand derivative and with finite differences. */
import { fromArray, gradCheck } from '../../src/index.js';
import { expect, maxDifference } from '../helpers.js';
import { loadExercise } from './exercise.js';

const { softplus, softplusDerivative } = await loadExercise<typeof import('../exercises/02-autograd.js')>('02-autograd');

const values = [-3, -0.5, 0, 0.7, 2.5];
const x = fromArray(values, undefined, { dtype: 'float64', requiresGrad: true });
const y = softplus(x);
const expected = values.map((v) => Math.log1p(Math.exp(v)));
expect(maxDifference(y.data, expected) < 1e-12, `softplus values are off: got ${y.toList()}, expected ${expected}`);
y.sum().backward();
const byHand = softplusDerivative(fromArray(values, undefined, { dtype: 'float64' }));
const error = maxDifference(x.grad?.data ?? [], byHand.data);
expect(error < 1e-12, `backward() gives ${x.grad?.toList()} but your derivative gives ${byHand.toList()}`);
const check = gradCheck((input) => softplus(input), [fromArray(values, undefined, { dtype: 'float64' })]);
expect(check.ok, `finite differences disagree with backward() (max error ${check.maxAbsError})`);
console.log(`softplus'(x) by hand = backward() = finite differences (max error ${check.maxAbsError.toExponential(1)}) ✓`);
