/**
 * Kernel throughput per backend, in GFLOP/s (2 · multiply-adds / seconds), with
 * the TypeScript reference loop measured in the same run as the baseline.
 *
 *   npm run bench                       table
 *   npm run bench -- --json             JSON rows
 *   npm run bench -- --backends webasm  only some backends (comma-separated)
 *   npm run bench -- --repeats 5        timed runs per row (best is reported)
 *
 * Each timed call includes uploading inputs and reading back the result, as a
 * training step would see it. Kernels are compiled and warmed up before timing.
 */
import { parseArgs } from 'node:util';
import { availableBackends, BACKEND_NAMES, disposeBackends, setBackend, type BackendName, type KernelBackend } from '../src/index.js';
import { convOutputSize, type Conv2dShape, type MatmulShape } from '../src/kernels/shapes.js';
import { Random } from '../src/random.js';

const usage = `usage: npm run bench -- [--json] [--backends ${BACKEND_NAMES.join(',')}] [--repeats N]`;

function parseFlags() {
  try {
    const { values } = parseArgs({
      options: {
        json: { type: 'boolean', default: false },
        backends: { type: 'string' },
        repeats: { type: 'string', default: '3' },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      console.log(usage);
      process.exit(0);
    }
    const repeats = Number(values.repeats);
    if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be a positive integer, got "${values.repeats}"`);
    const wanted = values.backends?.split(',') ?? availableBackends();
    for (const name of wanted) {
      if (!(BACKEND_NAMES as readonly string[]).includes(name)) throw new Error(`unknown backend "${name}"`);
    }
    return { json: values.json ?? false, repeats, backends: wanted as BackendName[] };
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
}

interface Workload {
  name: string;
  flops: number;
  run: (backend: KernelBackend) => unknown;
}

function randomArray(size: number, random: Random): Float32Array {
  return Float32Array.from({ length: size }, () => random.normal());
}

function workloads(): Workload[] {
  const random = new Random(0);
  const matmul = (size: number): Workload => {
    const shape: MatmulShape = { m: size, k: size, n: size, transA: false, transB: false };
    const a = randomArray(size * size, random);
    const b = randomArray(size * size, random);
    return { name: `matmul ${size}²`, flops: 2 * size ** 3, run: (backend) => backend.matmul(a, b, shape) };
  };
  // The conv shape: batch 128, 16→32 channels, 3×3, stride 1, padding 1, 28×28.
  const conv: Conv2dShape = {
    batch: 128, inChannels: 16, height: 28, width: 28, outChannels: 32, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1,
    outHeight: convOutputSize(28, 3, 1, 1), outWidth: convOutputSize(28, 3, 1, 1),
  };
  const convFlops = 2 * conv.batch * conv.outChannels * conv.outHeight * conv.outWidth * conv.inChannels * 9;
  const x = randomArray(conv.batch * conv.inChannels * 28 * 28, random);
  const w = randomArray(conv.outChannels * conv.inChannels * 9, random);
  const g = randomArray(conv.batch * conv.outChannels * 28 * 28, random);
  const label = 'conv 128×16→32 28² 3×3';
  return [
    matmul(512),
    matmul(1024),
    { name: `${label} forward`, flops: convFlops, run: (backend) => backend.conv2dForward(x, w, conv) },
    { name: `${label} grad-input`, flops: convFlops, run: (backend) => backend.conv2dGradInput(g, w, conv) },
    { name: `${label} grad-weight`, flops: convFlops, run: (backend) => backend.conv2dGradWeight(x, g, conv) },
  ];
}

interface Row { workload: string; backend: BackendName; bestMs: number; gflops: number; vsReference: number | null }

function measure(workload: Workload, backend: KernelBackend, repeats: number): number {
  workload.run(backend); // compile and warm up
  workload.run(backend);
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    workload.run(backend);
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

function main(): void {
  const { json, repeats, backends } = parseFlags();
  const order: BackendName[] = ['reference', ...backends.filter((name) => name !== 'reference')];
  const rows: Row[] = [];
  for (const workload of workloads()) {
    let referenceMs: number | null = null;
    for (const name of order) {
      const backend = setBackend(name);
      const bestMs = measure(workload, backend, repeats);
      if (name === 'reference') referenceMs = bestMs;
      rows.push({ workload: workload.name, backend: name, bestMs, gflops: workload.flops / (bestMs * 1e6), vsReference: referenceMs === null ? null : referenceMs / bestMs });
      if (!json) process.stderr.write(`  ${workload.name} on ${name}: ${bestMs.toFixed(1)} ms\n`);
    }
  }
  disposeBackends();
  if (json) {
    console.log(JSON.stringify({ repeats, rows }, null, 2));
    return;
  }
  const header = ['workload', 'backend', 'best ms', 'GFLOP/s', '× reference'];
  const table = rows.map((row) => [row.workload, row.backend, row.bestMs.toFixed(1), row.gflops.toFixed(2), row.vsReference === null ? '' : `${row.vsReference.toFixed(2)}×`]);
  const widths = header.map((title, column) => Math.max(title.length, ...table.map((cells) => (cells[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column < 2 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const cells of table) console.log(line(cells));
  console.log(`\nbest of ${repeats} timed runs after 2 warm-up calls; times include upload and readback.`);
}

main();
