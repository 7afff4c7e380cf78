/**
 * Matrix multiply, the kernel behind Linear layers and their backward pass:
 *   forward   Y = X · W        (transA = false, transB = false)
 *   ∂L/∂X    = ∂L/∂Y · Wᵀ     (transB = true)
 *   ∂L/∂W    = Xᵀ · ∂L/∂Y     (transA = true)
 *
 * C[i, j] = Σ_p A(i, p) · B(p, j), where A(i, p) = a[i·K + p] (or a[p·M + i]
 * when A is stored transposed) and B(p, j) = b[p·N + j] (or b[j·K + p]).
 */
import { float32Buffer } from '../buffer-pool.js';
import type { KernelJob, KernelRunner } from './kernel-runner.js';
import { quadCount, unpackQuads } from './layout.js';
import { MAX_LOOP_ITERATIONS_PER_THREAD, shapeKey, type FloatArray, type MatmulShape } from './shapes.js';

/** The plain TypeScript twin: the oracle the gpu.js kernel is tested against. */
export function matmulReference(a: FloatArray, b: FloatArray, shape: MatmulShape, out: FloatArray): FloatArray {
  const { m, k, n, transA, transB } = shape;
  // Element strides of A(i, ·) along p, and of B(·, j) along p and j.
  const aRow = transA ? 1 : k;
  const aStep = transA ? m : 1;
  const bStep = transB ? 1 : n;
  const bCol = transB ? k : 1;
  out.fill(0);
  // i-p-j order: the innermost loop walks a row of C (and of B, when not transposed).
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aValue = a[i * aRow + p * aStep] as number;
      if (aValue === 0) continue;
      const bBase = p * bStep;
      const cBase = i * n;
      for (let j = 0; j < n; j++) out[cBase + j] = (out[cBase + j] as number) + aValue * (b[bBase + j * bCol] as number);
    }
  }
  return out;
}

/**
 * B packed in panels of four columns: bp[(⌊j/4⌋·K + p)·4 + (j mod 4)] = B(p, j),
 * zeros for the columns ≥ N. A thread's four lanes (columns j … j+3) then read
 * four adjacent floats at every step p, and successive steps read the next
 * 16 bytes: one vector load each, streaming through memory. (Read straight
 * from B, the lanes' values for one p are adjacent only when B is not
 * transposed, and successive p are N floats apart: for N = 1024 that is 4 KB,
 * a stride at which the L1 cache keeps only a handful of lines. Measured on
 * one core, matmul 1024²: ≈8 GFLOP/s unpacked.) `packed` must be zero-filled
 * (a fresh array by default).
 */
export function packColumnPanels(b: Float32Array, shape: MatmulShape, packed: Float32Array = new Float32Array(Math.ceil(shape.n / 4) * shape.k * 4)): Float32Array {
  const { k, n, transB } = shape;
  for (let p = 0; p < k; p++) {
    for (let j = 0; j < n; j++) {
      packed[((j >> 2) * k + p) * 4 + (j & 3)] = b[transB ? j * k + p : p * n + j] as number;
    }
  }
  return packed;
}

/**
 * The gpu.js kernel, generated per shape (see layout.ts for the layout rules),
 * on A and B packed in column panels (`packColumnPanels`).
 *
 * Thread mapping: output [N, ⌈M/4⌉], returning Array(4).
 *   thread.x = j   column of C (the SIMD lane axis)
 *   thread.y = g   rows i = 4g … 4g+3 of C (clamped to M − 1; the copies are
 *                  dropped when unpacking)
 * Per step p a thread reads B(p, j) once (lane-varying, adjacent across the
 * lanes) and A(i, p) for its four rows (uniform across the quad): four
 * multiply-adds per vector load. The p loop is unrolled by 4, with the
 * remainder written out after it. The result is [g][j][4]; `unpackQuads`
 * turns it into C [M, N].
 */
export function matmulKernelSource(shape: MatmulShape): string {
  const { m, k, transA } = shape;
  // A(i, p) = a[rowBase_i + p·aStep];  B(p, j) = bp[panelColumn + 4p]
  const aRow = transA ? 1 : k;
  const aStep = transA ? m : 1;
  const unroll = Math.min(4, k);
  const step = (p: string, u: string) => `    const b${u} = bp[panelColumn + ${p} * 4];
    s0 += a[row0 + ${p} * ${aStep}] * b${u};
    s1 += a[row1 + ${p} * ${aStep}] * b${u};
    s2 += a[row2 + ${p} * ${aStep}] * b${u};
    s3 += a[row3 + ${p} * ${aStep}] * b${u};`;
  const body: string[] = [];
  for (let u = 0; u < unroll; u++) body.push(step(`(p + ${u})`, String(u)));
  const tail: string[] = [];
  for (let p = k - (k % unroll); p < k; p++) tail.push(step(String(p), `t${p}`));
  return `function (a, bp) {
  // column j of B starts at 4K·⌊j/4⌋ + (j mod 4) in the panels
  const panelColumn = Math.floor(this.thread.x / 4) * ${4 * k - 4} + this.thread.x;
  const row0 = Math.min(this.thread.y * 4, ${m - 1}) * ${aRow};
  const row1 = Math.min(this.thread.y * 4 + 1, ${m - 1}) * ${aRow};
  const row2 = Math.min(this.thread.y * 4 + 2, ${m - 1}) * ${aRow};
  const row3 = Math.min(this.thread.y * 4 + 3, ${m - 1}) * ${aRow};
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let p = 0; p < ${k - (k % unroll)}; p += ${unroll}) {
${body.join('\n')}
  }
${tail.join('\n').replace(/^ {2}/gm, '')}
  return [s0, s1, s2, s3];
}`;
}

/**
 * C = op(A)·op(B) on a gpu.js backend: B packed as column panels, the kernel
 * run, its quads unpacked into C. With the helper thread (webasm) the work is
 * split: by rows of C for A·B (A's rows are contiguous), by the summed index p
 * for Aᵀ·B (a weight gradient: the two halves' sums are added, so the last
 * bits depend on whether the helper runs).
 */
export function matmulOnGpu(runner: KernelRunner, a: Float32Array, b: Float32Array, shape: MatmulShape): Float32Array {
  if (shape.k > MAX_LOOP_ITERATIONS_PER_THREAD && runner.name === 'webgl') {
    throw new Error(`matmul: inner dimension ${shape.k} exceeds ${MAX_LOOP_ITERATIONS_PER_THREAD}, the per-thread loop limit kept for software GL`);
  }
  const { m, k, n, transA, transB } = shape;
  const out = float32Buffer(m * n);
  const job = (part: MatmulShape, aPart: Float32Array, bPanels: Float32Array): KernelJob => ({
    key: shapeKey('matmul', part), source: () => matmulKernelSource(part), output: [part.n, quadCount(part.m)], args: [aPart, bPanels],
  });
  const split = runner.helperTakes(m * k * n);
  if (split && !transA && m >= 8) {
    // two cores: the helper computes rows [0, top) of C, this thread the rest
    const top = 4 * Math.floor(m / 8);
    const theirs = { ...shape, m: top };
    const mine = { ...shape, m: m - top };
    const panels = packColumnPanels(b, shape);
    const wait = runner.startOnHelper(job(theirs, a.subarray(0, top * k), panels));
    const quads = runner.whileHelperRuns(wait, () => runner.run('matmul', job(mine, a.subarray(top * k), panels)));
    unpackQuads(quads, mine.m, 1, n, out.subarray(top * n));
    unpackQuads(wait(), top, 1, n, out.subarray(0, top * n));
    return out;
  }
  if (split && transA && !transB && k >= 2) {
    // Aᵀ·B: the helper sums p < top, this thread the rest; A's and B's rows p are contiguous
    const top = Math.floor(k / 2);
    const theirs = { ...shape, k: top };
    const mine = { ...shape, k: k - top };
    const wait = runner.startOnHelper(job(theirs, a.subarray(0, top * m), packColumnPanels(b.subarray(0, top * n), theirs)));
    const quads = runner.whileHelperRuns(wait, () => runner.run('matmul', job(mine, a.subarray(top * m), packColumnPanels(b.subarray(top * n), mine))));
    unpackQuads(quads, m, 1, n, out);
    const theirSums = unpackQuads(wait(), m, 1, n, new Float32Array(m * n));
    for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + (theirSums[i] as number);
    return out;
  }
  const key = shapeKey('matmul', shape);
  const panels = packColumnPanels(b, shape, runner.allocateHere(key, 1, quadCount(n) * k * 4));
  return unpackQuads(runner.run('matmul', job(shape, a, panels)), m, 1, n, out);
}
