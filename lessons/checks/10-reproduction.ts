/** Check for exercise 10: the paper's Table 4 gains from its Table 1 accuracies (CIFAR10, normal training). */
import { expect } from '../helpers.js';
import { loadExercise } from './exercise.js';

const { percentGain } = await loadExercise<typeof import('../exercises/10-reproduction.js')>('10-reproduction');

// Table 1, CIFAR10: FGSM P 48.3, B 67.3; BIM P 23.1, B 46.7.  Table 4, CIFAR10, normal: FGSM 39.3, BIM 102.2.
for (const [attack, p, b, paper] of [['FGSM', 48.3, 67.3, 39.3], ['BIM', 23.1, 46.7, 102.2]] as const) {
  const gain = percentGain(p, b);
  expect(gain !== null && Math.abs(gain - paper) < 0.1, `${attack}: gain(${p}, ${b}) = ${gain}, the paper's Table 4 says ${paper}`);
  console.log(`${attack}: (${b} − ${p}) / ${p} · 100 = ${gain?.toFixed(1)}%, as the paper's Table 4 ✓`);
}
expect(percentGain(0, 10) === null, 'a population accuracy of 0 should give null');
console.log('P = 0 gives null ✓');
