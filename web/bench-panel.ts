/**
 * Kernel benchmark: matmul and convolution-forward GFLOP/s in this browser,
 * for WebGL2 and WebAssembly (whichever this browser has), each result also
 * checked against the kernel's TypeScript reference twin.
 */
import { getBackend, isBackendAvailable, Random, referenceBackend, setBackend, type BackendName, type KernelBackend } from '../src/browser.js';
import { type Conv2dShape, type MatmulShape, convOutputSize, relativeError } from '../src/internals.js';
import { el } from './state.js';

const conv = (batch: number, inChannels: number, size: number, outChannels: number, stride: number, padding: number): Conv2dShape => {
  const out = convOutputSize(size, 3, stride, padding);
  return { batch, inChannels, height: size, width: size, outChannels, kernelHeight: 3, kernelWidth: 3, stride, padding, outHeight: out, outWidth: out };
};
/** The benchmark's shapes (a ResNet layer at batch 32) and an odd shape for the correctness check. */
const BENCH_MATMUL: MatmulShape = { m: 512, k: 512, n: 512, transA: false, transB: false };
const BENCH_CONV = conv(32, 16, 28, 32, 1, 1);
const ODD_MATMUL: MatmulShape = { m: 17, k: 33, n: 9, transA: true, transB: false };
const ODD_CONV = conv(3, 5, 9, 7, 2, 1);

function values(size: number, seed: number): Float32Array<ArrayBuffer> {
  const random = new Random(seed);
  return Float32Array.from({ length: size }, () => random.normal());
}

/** Runs `fn` with `name` as the backend, then goes back to the backend that was active. */
function withBackend<T>(name: BackendName, fn: (backend: KernelBackend) => T): T {
  const previous = getBackend().name;
  try {
    return fn(setBackend(name));
  } finally {
    setBackend(previous);
  }
}

/** A kernel's result against the reference twin's, on an odd shape and the benchmark shape. */
export function kernelCheck(name: BackendName): { matmul: number; conv2dForward: number } {
  return withBackend(name, (backend) => {
    let matmul = 0;
    let conv2dForward = 0;
    for (const shape of [ODD_MATMUL, BENCH_MATMUL]) {
      const a = values(shape.m * shape.k, 1);
      const b = values(shape.k * shape.n, 2);
      matmul = Math.max(matmul, relativeError(backend.matmul(a, b, shape), referenceBackend.matmul(a, b, shape)));
    }
    for (const shape of [ODD_CONV, BENCH_CONV]) {
      const x = values(shape.batch * shape.inChannels * shape.height * shape.width, 3);
      const w = values(shape.outChannels * shape.inChannels * 9, 4);
      conv2dForward = Math.max(conv2dForward, relativeError(backend.conv2dForward(x, w, shape), referenceBackend.conv2dForward(x, w, shape)));
    }
    return { matmul, conv2dForward };
  });
}

/** Best of `repeats` timings of `fn`, in seconds, after one warm-up call. */
function bestSeconds(fn: () => unknown, repeats = 3): number {
  fn();
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    fn();
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return best;
}

/** GFLOP/s of matmul 512³ and a conv forward (batch 32, 16→32, 28×28) on backend `name`. */
export function kernelSpeed(name: BackendName): { matmul: number; conv2dForward: number } {
  return withBackend(name, (backend) => {
    const { m, k, n } = BENCH_MATMUL;
    const a = values(m * k, 1);
    const b = values(k * n, 2);
    const matmulSeconds = bestSeconds(() => backend.matmul(a, b, BENCH_MATMUL));
    const s = BENCH_CONV;
    const x = values(s.batch * s.inChannels * s.height * s.width, 3);
    const w = values(s.outChannels * s.inChannels * 9, 4);
    const convSeconds = bestSeconds(() => backend.conv2dForward(x, w, s));
    const convFlops = 2 * s.batch * s.outChannels * s.outHeight * s.outWidth * s.inChannels * 9;
    return { matmul: (2 * m * k * n) / matmulSeconds / 1e9, conv2dForward: convFlops / convSeconds / 1e9 };
  });
}

export function mountBenchPanel(root: HTMLElement): void {
  const run = el('button', { id: 'bench-run' }, 'Run the kernel benchmark');
  const cancel = el('button', { id: 'bench-cancel', disabled: '' }, 'Cancel');
  const status = el('p', { id: 'bench-status', class: 'status', 'aria-live': 'polite' });
  const table = el('div', { id: 'bench-table' });
  root.append(el('p', {}, 'matmul 512×512×512 and a convolution forward pass (batch 32, 16→32 channels, 28×28, 3×3) on each backend this browser has; each result is also compared with the TypeScript reference twin. WebGL2 needs the page (gpu.js draws on a canvas), so this runs here, one measurement at a time with the page redrawn in between; compiling the WebGL2 kernels on a software renderer blocks it for seconds.'), el('div', { class: 'row' }, run, cancel), status, table);
  let cancelled = false;
  cancel.addEventListener('click', () => {
    cancelled = true;
  });
  const yieldToPage = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 30));
  run.addEventListener('click', async () => {
    cancelled = false;
    run.disabled = true;
    cancel.disabled = false;
    delete table.dataset.done;
    const rows: HTMLTableRowElement[] = [];
    const names = (['webgl', 'webasm'] as BackendName[]).filter(isBackendAvailable);
    try {
      for (const [i, name] of names.entries()) {
        status.textContent = `${name} (${i + 1} of ${names.length}): timing matmul and the convolution…`;
        await yieldToPage();
        if (cancelled) break;
        const speed = kernelSpeed(name);
        status.textContent = `${name} (${i + 1} of ${names.length}): comparing with the TypeScript reference…`;
        await yieldToPage();
        if (cancelled) break;
        const check = kernelCheck(name);
        rows.push(el('tr', {}, el('td', { class: 'left' }, name), el('td', {}, speed.matmul.toFixed(2)), el('td', {}, speed.conv2dForward.toFixed(2)), el('td', {}, check.matmul.toExponential(1)), el('td', {}, check.conv2dForward.toExponential(1))));
      }
      status.textContent = cancelled ? `cancelled after ${rows.length} of ${names.length} backends` : `done: ${names.length} backends`;
    } catch (error) {
      status.textContent = `the benchmark failed: ${(error as Error).message}`;
    }
    run.disabled = false;
    cancel.disabled = true;
    table.replaceChildren(el('table', {},
      el('tr', {}, ...['backend', 'matmul GFLOP/s', 'conv forward GFLOP/s', 'matmul error vs reference', 'conv error vs reference'].map((text) => el('th', {}, text))),
      ...rows));
    table.dataset.done = String(Date.now());
  });
}
