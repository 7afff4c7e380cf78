/** Check for exercise 8: your FGSM gives the same adversarial images as the library's fgsm. */
import { batches, fgsm, limitDataset, loadDataset, type Tensor } from '../../src/index.js';
import { expect, maxDifference, tinyCnn } from '../helpers.js';
import { loadExercise } from './exercise.js';

const { myFgsm } = await loadExercise<typeof import('../exercises/08-attacks.js')>('08-attacks');

const model = tinyCnn('bn', 8).eval();
const batch = batches(limitDataset(loadDataset('mnist').test, 8), { batchSize: 8 }).next().value as { images: Tensor; labels: Uint8Array };
for (const eps of [0.05, 0.3]) {
  const expected = fgsm(model, batch.images, batch.labels, { eps });
  const got = myFgsm(model, batch.images, batch.labels, eps);
  expect(got.shape.join() === expected.shape.join(), `shape [${got.shape}] should be [${expected.shape}]`);
  const error = maxDifference(got.data, expected.data);
  expect(error < 1e-6, `ε = ${eps}: your adversarial images differ from fgsm's by up to ${error} (sign? clipping to [0, 1]?)`);
  console.log(`ε = ${eps}: your FGSM = the library's fgsm ✓`);
}
