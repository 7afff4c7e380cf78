/** Check for exercise 1: softmax rows sum to 1, match a direct computation, and survive large inputs. */
import { fromArray } from '../../src/index.js';
import { expect, maxDifference } from '../helpers.js';
import { loadExercise } from './exercise.js';

const { softmax } = await loadExercise<typeof import('../exercises/01-tensors.js')>('01-tensors');

const x = fromArray([[1, 2, 3], [0, 0, 0], [1000, 1001, 1002]], undefined, { dtype: 'float64' });
const y = softmax(x);
expect(y.shape.join() === '3,3', `softmax should keep the shape [3, 3], got [${y.shape}]`);
const expected = [0.09003057317038046, 0.24472847105479764, 0.6652409557748219, 1 / 3, 1 / 3, 1 / 3, 0.09003057317038046, 0.24472847105479764, 0.6652409557748219];
const error = maxDifference(y.data, expected);
expect(error < 1e-12, `values differ from the expected ones by ${error} (did you subtract the row max? is it per row?)`);
console.log('softmax([[1, 2, 3], …]) =', y.toList().slice(0, 3).map((v) => v.toFixed(4)).join(', '), '✓');
