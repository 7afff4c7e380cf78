/**
 * Lesson 2: reverse-mode autograd, checked by finite differences.  Run: npm run lesson -- 2
 * Read along: lessons/02-autograd.md
 */
import { fromArray, gradCheck, noGrad, randn, Random, type Tensor } from '../src/index.js';
import { heading } from './helpers.js';

heading('Build a graph: every op records its inputs and a backward function');
const x = fromArray([1, 2, 3], undefined, { requiresGrad: true });
const w = fromArray([0.5, -1, 2], undefined, { requiresGrad: true });
const product = x.mul(w); // [3]
const loss = product.sum(); // a single number
console.log('loss =', loss.item(), '| loss.gradFn.op =', loss.gradFn?.op, '← its input was made by', loss.gradFn?.inputs[0]?.gradFn?.op);

heading('backward(): walk the graph from the loss to the leaves');
loss.backward();
console.log('∂loss/∂x =', x.grad?.toList(), '(= w)');
console.log('∂loss/∂w =', w.grad?.toList(), '(= x)');

heading('A tensor used twice: gradients add up over every path');
const a = fromArray([3], undefined, { requiresGrad: true });
a.add(a).mul(a).backward(fromArray([1])); // y = (a + a)·a = 2a²  ⇒  dy/da = 4a
console.log('y = (a + a)·a at a = 3: dy/da =', a.grad?.item(), '(4a = 12)');

heading('Broadcasting backward: a stretched operand sums its gradients');
const matrix = fromArray([[1, 2, 3], [4, 5, 6]], undefined, { requiresGrad: true });
const bias = fromArray([10, 20, 30], undefined, { requiresGrad: true }); // read twice, once per row
matrix.add(bias).sum().backward();
console.log('∂/∂bias of Σ(matrix + bias) =', bias.grad?.toList(), '(each bias element was used by 2 rows)');

heading('noGrad: no graph is recorded (inference, optimizer steps)');
const inference = noGrad(() => x.mul(w).sum());
console.log('inside noGrad: requiresGrad =', inference.requiresGrad, ', gradFn =', inference.gradFn);

heading('Check a gradient by finite differences, by hand');
// f(v) = Σ tanh(v)·v ; central difference (f(v + h·e_j) − f(v − h·e_j)) / 2h has error O(h²).
const f = (v: Tensor): Tensor => v.tanh().mul(v).sum();
const v = randn([4], { dtype: 'float64', random: new Random(0) }).requireGrad();
f(v).backward();
const h = 1e-6;
for (let j = 0; j < v.size; j++) {
  const original = v.data[j] as number;
  const plus = noGrad(() => { v.data[j] = original + h; return f(v).item(); });
  const minus = noGrad(() => { v.data[j] = original - h; return f(v).item(); });
  v.data[j] = original;
  const numeric = (plus - minus) / (2 * h);
  console.log(`  j=${j}: backward ${(v.grad?.data[j] as number).toFixed(9)}   finite difference ${numeric.toFixed(9)}`);
}

heading('The same, with the library\'s gradCheck (src/testing/gradcheck.ts)');
const result = gradCheck((input, weight) => input.mul(weight).tanh().sum(1), [
  randn([3, 4], { dtype: 'float64', random: new Random(1) }),
  randn([1, 4], { dtype: 'float64', random: new Random(2) }),
]);
console.log('tanh(x · w) summed over axis 1, w broadcast:', result.ok ? 'gradients agree' : 'MISMATCH', `(max |error| ${result.maxAbsError.toExponential(2)})`);
