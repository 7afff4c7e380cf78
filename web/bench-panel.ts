/**
 * Kernel benchmark: matmul and convolution-forward GFLOP/s in this browser,
 * for WebGL2 and WebAssembly (whichever a worker has here), each result also
 * checked against the kernel's TypeScript reference twin. It runs in the
 * bench worker (bench-worker.ts), so the page keeps drawing while WebGL2
 * kernels compile; Cancel terminates the worker.
 */
import type { BackendName } from '../src/browser.js';
import { BenchWorker } from './bench-client.js';
import type { BenchAnswer } from './bench-worker.js';
import { el } from './state.js';

type Row = Extract<BenchAnswer, { type: 'row' }>;

const HEADINGS = ['backend', 'matmul GFLOP/s', 'conv forward GFLOP/s', 'matmul error vs reference', 'conv error vs reference'];

function tableOf(rows: Row[]): HTMLTableElement {
  return el('table', {},
    el('tr', {}, ...HEADINGS.map((text) => el('th', {}, text))),
    ...rows.map(({ backend, speed, check }) => el('tr', {}, el('td', { class: 'left' }, backend), el('td', {}, speed.matmul.toFixed(2)), el('td', {}, speed.conv2dForward.toFixed(2)), el('td', {}, check.matmul.toExponential(1)), el('td', {}, check.conv2dForward.toExponential(1)))));
}

/** What the worker has, in words: "WebGL2 (SwiftShader …) and WebAssembly", or why WebGL2 is missing. */
function backendsLine(names: BackendName[], renderer: string | null): string {
  if (!names.includes('webgl')) return 'a worker here has no WebGL2 context (this browser gives workers none), so only WebAssembly is measured';
  return `WebGL2 on ${renderer ?? 'an unknown renderer'} and WebAssembly, both in a worker`;
}

export function mountBenchPanel(root: HTMLElement): void {
  const run = el('button', { id: 'bench-run' }, 'Run the kernel benchmark');
  const cancel = el('button', { id: 'bench-cancel', disabled: '' }, 'Cancel');
  const status = el('p', { id: 'bench-status', class: 'status', 'aria-live': 'polite' });
  const table = el('div', { id: 'bench-table' });
  root.append(el('p', {}, 'matmul 512×512×512 and a convolution forward pass (batch 32, 16→32 channels, 28×28, 3×3) on each backend this browser has; each result is also compared with the TypeScript reference twin. It runs in a worker (gpu.js draws WebGL2 on an OffscreenCanvas there), so the page stays responsive while the kernels compile, which takes seconds on a software renderer.'), el('div', { class: 'row' }, run, cancel), status, table);
  const worker = new BenchWorker();
  let rows: Row[] = [];
  let total = 0;
  const finish = (text: string): void => {
    status.textContent = text;
    run.disabled = false;
    cancel.disabled = true;
    table.replaceChildren(tableOf(rows));
    table.dataset.done = String(Date.now());
  };
  const progress = (answer: BenchAnswer): void => {
    if (answer.type === 'row') {
      rows.push(answer);
      table.replaceChildren(tableOf(rows));
    } else if (answer.type === 'progress') {
      const step = answer.stage === 'speed' ? 'timing matmul and the convolution' : 'comparing with the TypeScript reference';
      status.textContent = `${answer.backend} (${rows.length + 1} of ${total}), in a worker: ${step}…`;
    }
  };
  cancel.addEventListener('click', () => {
    worker.cancel();
    status.dataset.cancelled = 'true';
    finish(`cancelled after ${rows.length} of ${total} backends`);
  });
  run.addEventListener('click', async () => {
    rows = [];
    run.disabled = true;
    cancel.disabled = false;
    delete table.dataset.done;
    delete status.dataset.cancelled;
    status.textContent = 'starting the benchmark worker…';
    try {
      const found = await worker.ask({ type: 'backends' });
      if (found?.type !== 'backends') return; // cancelled
      total = found.names.length;
      status.dataset.backends = backendsLine(found.names, found.renderer);
      const done = await worker.ask({ type: 'bench', names: found.names }, progress);
      if (done !== null) finish(`done: ${total} backends (${status.dataset.backends})`);
    } catch (error) {
      finish(`the benchmark failed: ${(error as Error).message}`);
    }
  });
}
