/**
 * `npm run bench`: kernel throughput and whole-model timings per backend, with
 * a baseline backend (default: `reference`, the plain TypeScript twins)
 * measured in the same run, so ratios do not depend on how busy the machine
 * was on another day.
 *
 *   npm run bench                          table
 *   npm run bench -- --json                JSON rows
 *   npm run bench -- --backends webasm     only some backends (comma-separated)
 *   npm run bench -- --only kernels        kernels | models
 *   npm run bench -- --filter small-cnn    only rows whose name contains this
 *   npm run bench -- --skip "PGD"          leave out rows whose name contains this
 *   npm run bench -- --repeats 5           timed runs per row (the best is reported)
 *   npm run bench -- --slow-repeats 1      timed runs for the slow rows (PGD-20, resnet20 train step)
 *   npm run bench -- --full-baseline       also time the slow rows on the baseline
 *   npm run bench -- --compare             adds PyTorch's time for each row (bench/compare-pytorch.py)
 *   npm run bench -- --stock-codegen       also times webasm (1 thread) compiled by stock gpu.js, without
 *                                          the improved code generator (src/kernels/wasm-codegen/)
 *
 * Rows: matmul 512²/1024² and the three conv kernels (GFLOP/s), then for
 * smallCnn and resnet20 at batch 128: a train step, an eval forward pass and
 * PGD-20 (ms and images/s, and for the rows that are not slow the new memory
 * a run allocates, bench/allocation.ts). Each row is warmed up (kernels compiled, V8
 * optimized) before timing; times include uploading inputs and reading back
 * results, as training sees them. The machine is noisy (2 shared cores):
 * compare rows of one run only, and prefer best-of-N.
 */
import { parseArgs } from 'node:util';
import { availableBackends, BACKEND_NAMES, disposeBackends, resolveAuto, setBackend, type BackendName } from '../src/index.js';
import { webasmThreads } from '../src/kernels/gpujs-backend.js';
import { kernelWorkloads } from './kernels.js';
import { modelWorkloads } from './models.js';
import { runPythonJson } from './python.js';
import { measureInChild } from './allocation.js';

const usage = `usage: npm run bench -- [--json] [--backends ${BACKEND_NAMES.join(',')}] [--only kernels|models] [--filter TEXT] [--skip TEXT] [--repeats N] [--slow-repeats N] [--full-baseline] [--compare] [--stock-codegen]`;

interface Flags { filter: string | null; skip: string | null; json: boolean; repeats: number; slowRepeats: number; backends: BackendName[]; only: 'kernels' | 'models' | null; fullBaseline: boolean; compare: boolean; stockCodegen: boolean }

function parseFlags(): Flags {
  try {
    const { values } = parseArgs({
      options: {
        json: { type: 'boolean', default: false },
        backends: { type: 'string' },
        only: { type: 'string' },
        filter: { type: 'string' },
        skip: { type: 'string' },
        repeats: { type: 'string', default: '3' },
        'slow-repeats': { type: 'string', default: '1' },
        'full-baseline': { type: 'boolean', default: false },
        compare: { type: 'boolean', default: false },
        'stock-codegen': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      console.log(usage);
      process.exit(0);
    }
    const repeats = Number(values.repeats);
    if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be a positive integer, got "${values.repeats}"`);
    const slowRepeats = Number(values['slow-repeats']);
    if (!Number.isInteger(slowRepeats) || slowRepeats < 1) throw new Error(`--slow-repeats must be a positive integer, got "${values['slow-repeats']}"`);
    const wanted = values.backends?.split(',') ?? availableBackends().filter((name) => name !== 'cpu' && name !== 'reference');
    for (const name of wanted) {
      if (!(BACKEND_NAMES as readonly string[]).includes(name)) throw new Error(`unknown backend "${name}"`);
    }
    if (values.only !== undefined && values.only !== 'kernels' && values.only !== 'models') throw new Error(`--only must be kernels or models, got "${values.only}"`);
    return {
      filter: values.filter ?? null, skip: values.skip ?? null, json: values.json ?? false, repeats, slowRepeats, backends: wanted as BackendName[], only: (values.only as Flags['only']) ?? null,
      fullBaseline: values['full-baseline'] ?? false, compare: values.compare ?? false, stockCodegen: values['stock-codegen'] ?? false,
    };
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
}

export interface Row {
  workload: string;
  backend: BackendName;
  /** Threads the backend ran on (webasm: the main thread plus its helper; see src/kernels/helper-thread.ts). */
  threads: number;
  /** webasm only: compiled by the improved code generator or by stock gpu.js (src/kernels/wasm-codegen.ts). */
  codegen?: 'improved' | 'stock';
  bestMs: number;
  medianMs: number;
  gflops: number | null;
  imagesPerSecond: number | null;
  /** baseline time / this time, both from this run (null where the baseline was not timed). */
  vsBaseline: number | null;
  /** PyTorch's best time for the same workload, from bench/compare-pytorch.py (with --compare). */
  pytorchMs?: number | null;
  /**
   * New array memory per run in MB (bench/allocation.ts), measured in a child
   * process after warm-up; model rows that are not slow, on each backend's
   * default thread count (null elsewhere).
   */
  allocatedMB?: number | null;
}

/** Whether a row is selected by --filter and not left out by --skip. */
function wanted(flags: Flags, name: string): boolean {
  return (flags.filter === null || name.includes(flags.filter)) && (flags.skip === null || !name.includes(flags.skip));
}

function time(run: () => unknown, warmups: number, repeats: number): { best: number; median: number } {
  for (let i = 0; i < warmups; i++) run();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { best: times[0] as number, median: times[Math.floor(times.length / 2)] as number };
}

const BASELINE: BackendName = 'reference';

function pytorchTimes(): Record<string, number> {
  process.stderr.write('  running bench/compare-pytorch.py (PyTorch, 2 threads)…\n');
  return runPythonJson('compare-pytorch.py', ['--json']) as Record<string, number>;
}

interface Config { name: BackendName; threads: number; codegen?: 'improved' | 'stock' }

/** Makes `config` the active backend (webasm is timed with 1 thread and with its default). */
function activate(config: Config): void {
  disposeBackends();
  process.env.ROBUSTNORM_THREADS = String(config.threads);
  process.env.ROBUSTNORM_WASM_CODEGEN = config.codegen ?? 'improved';
  setBackend(config.name);
}

function label(config: Config): string {
  return config.name === 'webasm' ? `webasm ${config.threads}T${config.codegen === 'stock' ? ' stock' : ''}` : config.name;
}

async function main(): Promise<void> {
  const flags = parseFlags();
  const defaultThreads = process.env.ROBUSTNORM_THREADS === undefined ? webasmThreads() : Number(process.env.ROBUSTNORM_THREADS);
  const order: Config[] = [{ name: BASELINE, threads: 1 }];
  for (const name of flags.backends.filter((backend) => backend !== BASELINE)) {
    if (name === 'webasm' && flags.stockCodegen) order.push({ name, threads: 1, codegen: 'stock' });
    if (name === 'webasm' && defaultThreads > 1) order.push({ name, threads: 1 });
    order.push({ name, threads: name === 'webasm' ? defaultThreads : 1 });
  }
  const rows: Row[] = [];
  const note = (row: Row) => {
    rows.push(row);
    if (!flags.json) process.stderr.write(`  ${row.workload} on ${label({ name: row.backend, threads: row.threads, codegen: row.codegen })}: ${row.bestMs.toFixed(1)} ms\n`);
  };
  if (flags.only !== 'models') {
    for (const workload of kernelWorkloads().filter((w) => wanted(flags, w.name))) {
      let baselineMs: number | null = null;
      for (const config of order) {
        activate(config);
        const backend = setBackend(config.name);
        const { best, median } = time(() => workload.run(backend), 2, flags.repeats);
        if (config.name === BASELINE) baselineMs = best;
        note({ workload: workload.name, backend: config.name, threads: config.threads, codegen: config.codegen, bestMs: best, medianMs: median, gflops: workload.flops / (best * 1e6), imagesPerSecond: null, vsBaseline: baselineMs === null ? null : baselineMs / best });
      }
    }
  }
  if (flags.only !== 'kernels') {
    for (const workload of modelWorkloads().filter((w) => wanted(flags, w.name))) {
      let baselineMs: number | null = null;
      for (const config of order) {
        const isBaseline = config.name === BASELINE;
        if (isBaseline && workload.slow && !flags.fullBaseline) continue;
        activate(config);
        const run = workload.setup();
        // Warm-up runs compile every kernel and let V8 optimize the code around
        // them (one for the slow rows, which loop enough inside); the baseline
        // gets one timed run unless asked for more.
        const repeats = isBaseline && !flags.fullBaseline ? 1 : workload.slow ? flags.slowRepeats : flags.repeats;
        const { best, median } = time(run, workload.slow || isBaseline ? 1 : 2, repeats);
        if (isBaseline) baselineMs = best;
        const measuresAllocation = !isBaseline && !workload.slow && config.codegen === undefined && config.threads === (config.name === 'webasm' ? defaultThreads : 1);
        const allocatedMB = measuresAllocation ? measureInChild({ workload: workload.name, backend: config.name, threads: config.threads, warmups: 2, runs: 3 }) / 1e6 : null;
        note({ workload: workload.name, backend: config.name, threads: config.threads, codegen: config.codegen, bestMs: best, medianMs: median, gflops: null, imagesPerSecond: workload.images / (best / 1000), vsBaseline: baselineMs === null ? null : baselineMs / best, allocatedMB });
      }
    }
  }
  disposeBackends();
  if (flags.compare) {
    const torch = pytorchTimes();
    for (const row of rows) row.pytorchMs = torch[row.workload] ?? null;
  }
  const auto = resolveAuto();
  if (flags.json) {
    console.log(JSON.stringify({ repeats: flags.repeats, baseline: BASELINE, auto, rows }, null, 2));
    return;
  }
  const header = ['workload', 'backend', 'best ms', 'median ms', 'GFLOP/s', 'images/s', `× ${BASELINE}`, 'new MB/run', ...(flags.compare ? ['PyTorch ms', '÷ PyTorch'] : [])];
  const table = rows.map((row) => [
    row.workload, label({ name: row.backend, threads: row.threads, codegen: row.codegen }), row.bestMs.toFixed(1), row.medianMs.toFixed(1),
    row.gflops === null ? '' : row.gflops.toFixed(2),
    row.imagesPerSecond === null ? '' : row.imagesPerSecond.toFixed(0),
    row.vsBaseline === null ? '' : `${row.vsBaseline.toFixed(2)}×`,
    row.allocatedMB === null || row.allocatedMB === undefined ? '' : row.allocatedMB.toFixed(1),
    ...(flags.compare ? [row.pytorchMs ? row.pytorchMs.toFixed(1) : '', row.pytorchMs ? `${(row.bestMs / row.pytorchMs).toFixed(1)}×` : ''] : []),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...table.map((cells) => (cells[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column < 2 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const cells of table) console.log(line(cells));
  console.log(`\nbest of ${flags.repeats} timed runs after warm-up (slow model rows: ${flags.slowRepeats}; baseline model rows: 1); times include upload and readback.`);
  console.log('new MB/run: array memory (typed arrays, array buffers) allocated per run after warm-up, counted in a separate process (bench/allocation.ts).');
  console.log(`auto picks ${auto.name} here: ${auto.reason}.`);
}

await main();
