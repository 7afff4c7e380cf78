/** Check for exercise 3: your gpu.js A·Bᵀ kernel against the reference twin (transB = true). */
import { randn, Random, referenceBackend } from '../../src/index.js';
import { expect, maxDifference } from '../helpers.js';
import { loadExercise } from './exercise.js';

const { matmulTransposedB } = await loadExercise<typeof import('../exercises/03-gpujs-matmul.js')>('03-gpujs-matmul');

const [m, k, n] = [5, 7, 3];
const random = new Random(3);
const a = Float32Array.from(randn([m, k], { random }).data);
const b = Float32Array.from(randn([n, k], { random }).data);
const rows = matmulTransposedB(a, b, m, k, n);
expect(rows.length === m && rows.every((row) => row.length === n), `expected ${m} rows of ${n} values`);
const got = Float32Array.from(rows.flatMap((row) => Array.from(row)));
const expected = referenceBackend.matmul(a, b, { m, k, n, transA: false, transB: true });
const error = maxDifference(got, expected);
expect(error < 1e-4, `C differs from the reference A·Bᵀ by up to ${error}`);
console.log(`A·Bᵀ from your gpu.js kernel matches the reference twin (max error ${error.toExponential(1)}) ✓`);
