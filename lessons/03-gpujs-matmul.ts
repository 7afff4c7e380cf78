/**
 * Lesson 3: a gpu.js kernel — matmul, its reference twin, and who ran it.  Run: npm run lesson -- 3
 * Read along: lessons/03-gpujs-matmul.md
 */
import { GPU, type IKernelFunctionThis } from 'gpu.js';
import { availableBackends, getBackend, lastKernelRun, randn, Random, referenceBackend, resolveAuto, setBackend, type BackendName } from '../src/index.js';
import { heading, maxDifference, size } from './helpers.js';

const m = 3;
const k = 4;
const n = 2;
const random = new Random(0);
const a = Float32Array.from(randn([m, k], { random }).data); // A [m×k], flat row-major
const b = Float32Array.from(randn([k, n], { random }).data); // B [k×n]

heading('The reference twin: three loops in TypeScript');
const expected = referenceBackend.matmul(a, b, { m, k, n, transA: false, transB: false });
console.log('C = A·B (reference) =', Array.from(expected, (v) => v.toFixed(4)).join(' '));

heading('The same product as a gpu.js kernel, written by hand');
// One thread per output element: this.thread.x is the column j, this.thread.y the row i.
// gpu.js translates this function to a WebGL shader, WebAssembly, or plain JavaScript.
const gpu = new GPU({ mode: 'cpu' });
const kernel = gpu.createKernel(function (this: IKernelFunctionThis<{ k: number; n: number }>, a: number[], b: number[]) {
  const i = this.thread.y;
  const j = this.thread.x;
  let sum = 0;
  for (let p = 0; p < this.constants.k; p++) {
    sum += (a[i * this.constants.k + p] as number) * (b[p * this.constants.n + j] as number);
  }
  return sum;
}, { output: [n, m], constants: { k, n } });
const rows = kernel(Array.from(a), Array.from(b)) as Float32Array[];
const flat = Float32Array.from(rows.flatMap((row) => Array.from(row)));
console.log('C = A·B (gpu.js, cpu mode) =', Array.from(flat, (v) => v.toFixed(4)).join(' '));
console.log('max |gpu.js − reference| =', maxDifference(flat, expected));
gpu.destroy();

heading('The library\'s kernel: the same idea, shape baked into the source');
// src/kernels/matmul.ts generates this text per shape (loop bounds must be literals:
// gpu.js silently caps loops whose bound is a variable at 1,000 iterations).
const backend = getBackend();
const fromBackend = backend.matmul(a, b, { m, k, n, transA: false, transB: false });
const choice = resolveAuto();
// one line, however long the reason (an object printed by console.log breaks over lines past 72 characters)
console.log(`backend in use: ${backend.name} | auto would choose: ${choice.name} (${choice.reason})`);
console.log('lastKernelRun() =', lastKernelRun());
console.log('max |backend − reference| =', maxDifference(fromBackend, expected), '(float32 rounding)');

heading('Every available backend on a bigger product');
const big = size(256, 96);
const x = Float32Array.from(randn([big, big], { random }).data);
const y = Float32Array.from(randn([big, big], { random }).data);
const shape = { m: big, k: big, n: big, transA: false, transB: false };
const truth = referenceBackend.matmul(x, y, shape);
for (const name of availableBackends() as BackendName[]) {
  const chosen = setBackend(name);
  chosen.matmul(x, y, shape); // the first call compiles the kernel for this shape
  const start = performance.now();
  const result = chosen.matmul(x, y, shape);
  const ms = performance.now() - start;
  const ran = lastKernelRun();
  console.log(`  ${name.padEnd(9)} ran on ${ran?.executedOn} (${ran?.kernelClass}) in ${ms.toFixed(1)} ms, max |error| ${maxDifference(result, truth).toExponential(1)}`);
}
