/**
 * The playground page: loads the digits and the pretrained models (while the
 * attack worker, started by index.html, compiles its kernels), mounts the
 * panels and runs the first screen's attack in that worker; then picks the
 * page's own backend for training and the kernel panels (auto: WebGL2 on a
 * hardware GPU where a step timed in the bench worker shows it faster,
 * WebAssembly otherwise;
 * `?backend=webgl|webasm|reference|measure` forces one), says which runs on
 * what, and starts the headline chart. The order is the first screen's: its
 * verdicts wait for no WebGL2 probe and share the cores with no chart.
 * `window.playground` exposes the panels' functions to the browser tests and
 * to the console.
 */
import { batchOf, decodeCheckpoint, getBackend, resolveAuto, setBackend, type AttackName, type BackendName } from '../src/browser.js';
import { glRenderer } from '../src/internals.js';
import { attackDigit, attackLog, mountAttackPanel } from './attack-panel.js';
import { mountBackwardPanel, robustNormPaths } from './backward-panel.js';
import { BenchWorker } from './bench-client.js';
import { kernelCheck, kernelSpeed } from './bench-core.js';
import { mountBenchPanel } from './bench-panel.js';
import { decodeDigits } from './digits.js';
import { measureShift, mountShiftPanel } from './shift-panel.js';
import { adopt, digits, el, logitsOf, mark, modelIn, state, type Slot } from './state.js';
import { mountTrainPanel, trainingLog, stepModel } from './train-panel.js';
import { curveLog } from './curve-panel.js';
import { startAttackWorker } from './worker-client.js';

// the attack worker first (index.html started it; adopted here): its script loads and its kernels compile while the page fetches digits and models
mark('page: script');
startAttackWorker();

const api = { get lastAttack() { return attackLog.last; }, attackDigit, curveLog, kernelCheck, kernelSpeed, measureShift, robustNormPaths, stepModel, trainingLog, state, backend: () => getBackend().name,
  /** Logits of test digits `indices` from the model in `slot`, in inference mode with population statistics. */
  logits: (slot: 'bn' | 'rn', indices: number[]) => Array.from(logitsOf(modelIn(slot).model, batchOf(digits().test, indices).images, 'population')) };
declare global {
  interface Window {
    playground: typeof api;
  }
}
window.playground = api;

/**
 * The backend to use, and a line on why, which the page folds into a details
 * element. A forced backend probes no WebGL2 context: the renderer string is
 * read when the details are opened (creating a context takes the page's
 * thread for up to a second where the renderer is software).
 */
function chooseBackend(): { name: string; why: string; measure: boolean } {
  const forced = new URLSearchParams(location.search).get('backend');
  if (forced === 'measure') return { name: 'measured', why: 'measured at ?backend=measure', measure: true };
  if (forced !== null && forced !== 'auto') {
    setBackend(forced as BackendName);
    return { name: forced, why: `chosen by ?backend=${forced}`, measure: false };
  }
  // auto probes WebGL2 (its reason names the renderer when there is one)
  const { name, reason } = resolveAuto();
  setBackend(name);
  // a hardware GPU is not always faster: gpu.js reads every kernel's result back, and small MNIST models may run faster on WebAssembly; measure
  return { name, why: reason, measure: name === 'webgl' };
}

/** The details line: why this backend, this browser's WebGL2 renderer (read when first opened), and whether the page is cross-origin isolated. */
function detailsLine(why: string): HTMLDetailsElement {
  const renderer = el('span', { class: 'renderer' }, '; this browser\'s WebGL2 renderer: shown when opened');
  const details = el('details', {}, el('summary', {}, 'why this backend, the renderer, cross-origin isolation'), `${why}; ${isolation()}`, renderer);
  details.addEventListener('toggle', () => {
    if (!details.open || renderer.dataset.read !== undefined) return;
    renderer.dataset.read = 'true';
    renderer.textContent = `; this browser's WebGL2 renderer: ${glRenderer() ?? 'none (no WebGL2 context)'}`;
  });
  return details;
}

/**
 * Times a small-cnn training step (batch 64) on WebAssembly and on WebGL2 in
 * the bench worker, where compiling the kernels blocks no page, and keeps the
 * faster; returns its name and the reason, with both times. `onProgress` hears
 * which backend is being timed.
 */
async function measureBackends(onProgress: (backend: BackendName) => void): Promise<{ name: BackendName; why: string; times: Record<string, number> }> {
  const { images, labels } = batchOf(digits().train, Array.from({ length: 64 }, (_, i) => i));
  const worker = new BenchWorker();
  const answer = await worker.ask({ type: 'step-times', names: ['webasm', 'webgl'], batch: { images: images.data as Float32Array, labels } }, (message) => {
    if (message.type === 'progress') onProgress(message.backend);
  });
  worker.cancel(); // its work is done: the worker goes
  const times: Record<string, number> = answer?.type === 'step-times' ? answer.times : {};
  if (answer?.type === 'step-times') for (const failure of answer.failures) console.warn(failure);
  const ranked = Object.entries(times).sort((a, b) => a[1] - b[1]);
  const name = (ranked[0]?.[0] ?? 'webasm') as BackendName;
  setBackend(name);
  return { name, times, why: `measured one small-cnn training step (batch 64): ${ranked.map(([backend, ms]) => `${backend} ${ms.toFixed(0)} ms`).join(', ')} (in a worker); ${name} is faster here` };
}

/** Loads the shipped pretrained models (web/pretrained/) into both slots; returns the first screen's digit, or null if they are missing. */
async function loadPretrained(): Promise<{ index: number; attack: AttackName; eps: number } | null> {
  const manifest = await fetch('pretrained/manifest.json');
  if (!manifest.ok) return null;
  const { firstScreen, files } = (await manifest.json()) as { firstScreen: { index: number; attack: AttackName; eps: number }; files: Record<Slot, { file: string }> };
  const slots = ['bn', 'rn'] as const;
  // both files at once
  const bytes = await Promise.all(slots.map(async (slot) => {
    const response = await fetch(`pretrained/${files[slot].file}`);
    if (!response.ok) throw new Error(`pretrained/${files[slot].file}: HTTP ${response.status}`);
    return response.arrayBuffer();
  }));
  slots.forEach((slot, k) => {
    const { model, metadata } = decodeCheckpoint(bytes[k] as ArrayBuffer, files[slot].file);
    state.models.set(slot, { ...adopt(model, metadata.model, `pretrained (${files[slot].file}, 2 epochs on 4096 digits by the CLI)`), pretrained: true });
  });
  return firstScreen;
}

/** Whether the page is cross-origin isolated (its server sent COOP and COEP headers, as `npm run playground` does), in words. */
function isolation(): string {
  return self.crossOriginIsolated === true
    ? 'this page is cross-origin isolated (SharedArrayBuffer is available; the attack workers still use one core each)'
    : 'this page is not cross-origin isolated (its server sent no Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy headers), so SharedArrayBuffer is unavailable';
}

/** digits.bin, fetched gzipped (a static server sends no Content-Encoding) and unpacked here; uncompressed where the browser cannot unpack. */
async function fetchDigits(): Promise<ArrayBuffer> {
  if (typeof DecompressionStream !== 'undefined') {
    const response = await fetch('digits.bin.gz');
    if (!response.ok || response.body === null) throw new Error(`digits.bin.gz: HTTP ${response.status}`);
    return new Response(response.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer();
  }
  const response = await fetch('digits.bin');
  if (!response.ok) throw new Error(`digits.bin: HTTP ${response.status}`);
  return response.arrayBuffer();
}

async function start(): Promise<void> {
  const status = document.getElementById('backend') as HTMLElement;
  const section = (id: string): HTMLElement => document.querySelector(`#${id} .body`) as HTMLElement;
  try {
    status.textContent = 'loading digits and the pretrained models…';
    mark('page: start');
    // the checkpoints load while the digits do
    const pretrained = loadPretrained();
    pretrained.catch(() => undefined); // awaited below; a failure while the digits load is reported there, not as an unhandled rejection
    const digitBytes = await fetchDigits();
    mark('page: digits fetched');
    state.digits = decodeDigits(digitBytes);
    mark('page: digits decoded');
    const firstScreen = await pretrained;
    mark('page: models loaded');
    const attackPanel = mountAttackPanel(section('attack'));
    mountTrainPanel(section('train'), () => undefined);
    mountShiftPanel(section('shift'));
    mountBackwardPanel(section('backward'));
    mountBenchPanel(section('bench'));
    section('attack').dispatchEvent(new Event('digits-ready'));
    mark('page: panels mounted');
    const counts = `${state.digits.train.count} training and ${state.digits.test.count} test digits, two pretrained models`;
    if (firstScreen !== null) {
      // the first screen's attack runs in the attack worker (always WebAssembly), so the page's own backend can wait for it:
      // choosing one probes WebGL2, which takes a second where the renderer is software
      status.textContent = `${counts} · attacking the first digit in a worker…`;
      await attackPanel.openOn(firstScreen.index, firstScreen.attack, firstScreen.eps);
    }
    const backend = chooseBackend();
    if (backend.measure) {
      status.textContent = 'measuring: timing a training step on WebAssembly and on WebGL2 in a worker…';
      const measured = await measureBackends((name) => {
        status.textContent = `measuring: timing a training step on ${name === 'webgl' ? 'WebGL2' : 'WebAssembly'} in a worker (the page picks the faster)…`;
      });
      backend.name = measured.name;
      backend.why = `${measured.why}; ${backend.why}`;
      status.dataset.stepMs = JSON.stringify(measured.times);
    }
    mark('page: backend chosen');
    status.replaceChildren(`backend ${backend.name} · ${counts} `, detailsLine(backend.why));
    status.dataset.backend = getBackend().name;
    status.dataset.crossOriginIsolated = String(self.crossOriginIsolated === true);
    status.dataset.ready = String(performance.now());
    attackPanel.startChart();
  } catch (error) {
    status.textContent = `the playground could not start: ${(error as Error).message}`;
    console.error(error);
  }
}

void start();
