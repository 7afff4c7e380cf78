/**
 * How much new memory a workload allocates per run: the bytes behind every
 * typed array, ArrayBuffer and SharedArrayBuffer created while it runs
 * (activations, gradients, packed and transposed copies, kernel outputs),
 * which is what a buffer pool would save. Views of existing memory
 * (`subarray`, `new Float32Array(buffer, …)`) cost nothing and are not
 * counted; nor are plain JS objects (tensors, closures), which are small.
 *
 * V8 offers no cumulative count of array-buffer memory (its
 * `external_memory` statistic is settled by a background sweeper, and read
 * around garbage collections it missed over 98% of a test's allocations),
 * so for the runs measured the global constructors are replaced by counting
 * proxies, and `slice`/`map`/`filter` (which allocate through the original
 * constructor) by counting wrappers. Once replaced, V8's fast paths for
 * typed arrays stay off for the rest of the process, even after everything
 * is put back (a small-cnn step measured ≈10× slower afterwards), so each
 * measurement runs in a process of its own (`measureInChild`), never in the
 * process that times.
 */

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

type Constructor = new (...args: never[]) => object;

const TYPED_ARRAYS = ['Float32Array', 'Float64Array', 'Int32Array', 'Uint32Array', 'Int16Array', 'Uint16Array', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray'] as const;
const BUFFERS = ['ArrayBuffer', 'SharedArrayBuffer'] as const;
const ALLOCATING_METHODS = ['slice', 'map', 'filter'] as const;

/** The bytes a `new TypedArray(...args)` allocates: 0 for a view on an existing buffer. */
function typedArrayBytes(args: unknown[], bytesPerElement: number): number {
  const [first] = args;
  if (typeof first === 'number') return first * bytesPerElement;
  if (first instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && first instanceof SharedArrayBuffer)) return 0;
  if (first !== null && typeof first === 'object' && 'length' in first) return Number((first as { length: number }).length) * bytesPerElement;
  if (first !== null && typeof first === 'object' && Symbol.iterator in first) return [...(first as Iterable<unknown>)].length * bytesPerElement;
  return 0;
}

/**
 * Runs `run` `runs` times and returns the bytes of array memory allocated
 * per run (the mean). Call it after warm-up runs, so that one-time work
 * (compiling kernels, caches filled on first use) is not counted.
 */
export function allocatedBytesPerRun(run: () => unknown, runs: number): number {
  const global = globalThis as unknown as Record<string, unknown>;
  const saved = new Map<string, unknown>();
  let bytes = 0;
  for (const name of TYPED_ARRAYS) {
    const original = global[name] as Constructor & { BYTES_PER_ELEMENT: number };
    saved.set(name, original);
    global[name] = new Proxy(original, {
      construct(target, args, newTarget) {
        bytes += typedArrayBytes(args, target.BYTES_PER_ELEMENT);
        return Reflect.construct(target, args, newTarget);
      },
    });
  }
  for (const name of BUFFERS) {
    const original = global[name] as Constructor | undefined;
    if (original === undefined) continue;
    saved.set(name, original);
    global[name] = new Proxy(original, {
      construct(target, args, newTarget) {
        bytes += Number(args[0] ?? 0);
        return Reflect.construct(target, args, newTarget);
      },
    });
  }
  // %TypedArray%.prototype, shared by every typed array class
  const typedArrayPrototype = Object.getPrototypeOf(Float32Array.prototype) as Record<string, (...args: unknown[]) => ArrayBufferView>;
  const savedMethods = new Map<string, (...args: unknown[]) => ArrayBufferView>();
  for (const method of ALLOCATING_METHODS) {
    const original = typedArrayPrototype[method] as (...args: unknown[]) => ArrayBufferView;
    savedMethods.set(method, original);
    typedArrayPrototype[method] = function (this: ArrayBufferView, ...args: unknown[]): ArrayBufferView {
      const result = original.apply(this, args);
      if (result.buffer !== this.buffer) bytes += result.byteLength;
      return result;
    };
  }
  try {
    for (let i = 0; i < runs; i++) run();
  } finally {
    for (const [name, original] of saved) global[name] = original;
    for (const [method, original] of savedMethods) typedArrayPrototype[method] = original;
  }
  return bytes / runs;
}

/** What `measureInChild` runs: a model workload's name, on a backend with a number of threads. */
export interface AllocationJob {
  workload: string;
  backend: string;
  threads: number;
  warmups: number;
  runs: number;
}

/**
 * Measures a model workload's allocation per run in a child process (this
 * file run as a script with the same Node flags and environment); returns
 * bytes, or throws with the child's error output.
 */
export function measureInChild(job: AllocationJob): number {
  const script = fileURLToPath(import.meta.url);
  const result = spawnSync(process.execPath, [...process.execArgv, script, JSON.stringify(job)], { encoding: 'utf8', env: { ...process.env, ROBUSTNORM_THREADS: String(job.threads) } });
  const answer = /^allocated-bytes-per-run (\S+)$/m.exec(result.stdout ?? '');
  if (result.status !== 0 || answer === null) throw new Error(`measuring the allocation of "${job.workload}" failed: ${result.stderr || result.stdout || `exit ${result.status}`}`);
  return Number(answer[1]);
}

async function runJob(job: AllocationJob): Promise<void> {
  const { setBackend, disposeBackends } = await import('../src/index.js');
  const { modelWorkloads } = await import('./models.js');
  const workload = modelWorkloads().find((candidate) => candidate.name === job.workload);
  if (workload === undefined) throw new Error(`no model workload named "${job.workload}"`);
  setBackend(job.backend as Parameters<typeof setBackend>[0]);
  const run = workload.setup();
  for (let i = 0; i < job.warmups; i++) run();
  console.log(`allocated-bytes-per-run ${allocatedBytesPerRun(run, job.runs)}`);
  disposeBackends();
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runJob(JSON.parse(process.argv[2] ?? '{}') as AllocationJob);
  process.exit(0);
}
