/**
 * The playground page: picks the backend (auto: WebGL2 on a hardware GPU,
 * WebAssembly otherwise; `?backend=webgl|webasm|reference` forces one), says
 * which runs on what, loads the digits and mounts the panels. `window.playground`
 * exposes the panels' functions to the browser tests and to the console.
 */
import { batchOf, buildModel, decodeCheckpoint, getBackend, modelConfig, SGD, trainStep, resolveAuto, setBackend, type AttackName, type BackendName } from '../src/browser.js';
import { glRenderer } from '../src/internals.js';
import { attackDigit, attackLog, mountAttackPanel } from './attack-panel.js';
import { mountBackwardPanel, robustNormPaths } from './backward-panel.js';
import { kernelCheck, kernelSpeed, mountBenchPanel } from './bench-panel.js';
import { decodeDigits } from './digits.js';
import { measureShift, mountShiftPanel } from './shift-panel.js';
import { adopt, digits, el, logitsOf, modelIn, state, type Slot } from './state.js';
import { mountTrainPanel, trainingLog, stepModel } from './train-panel.js';

const api = { get lastAttack() { return attackLog.last; }, attackDigit, kernelCheck, kernelSpeed, measureShift, robustNormPaths, stepModel, trainingLog, state, backend: () => getBackend().name,
  /** Logits of test digits `indices` from the model in `slot`, in inference mode with population statistics. */
  logits: (slot: 'bn' | 'rn', indices: number[]) => Array.from(logitsOf(modelIn(slot).model, batchOf(digits().test, indices).images, 'population')) };
declare global {
  interface Window {
    playground: typeof api;
  }
}
window.playground = api;

/** The backend to use, and a line on why (with the WebGL2 renderer string), which the page folds into a details element. */
function chooseBackend(): { name: string; why: string; measure: boolean } {
  const forced = new URLSearchParams(location.search).get('backend');
  const renderer = glRenderer();
  if (forced === 'measure') return { name: 'measured', why: `measured at ?backend=measure${renderer ? `; WebGL2 renderer: ${renderer}` : ''}`, measure: true };
  if (forced !== null && forced !== 'auto') {
    setBackend(forced as BackendName);
    return { name: forced, why: `chosen by ?backend=${forced}${renderer ? `; this browser's WebGL2 renderer: ${renderer}` : ''}`, measure: false };
  }
  const { name, reason } = resolveAuto();
  setBackend(name);
  // a hardware GPU is not always faster: gpu.js reads every kernel's result back, and small MNIST models may run faster on WebAssembly; measure
  return { name, why: `${reason}${renderer && name !== 'webgl' ? `; WebGL2 renderer: ${renderer}` : ''}`, measure: name === 'webgl' };
}

/** Milliseconds of one small-cnn training step (batch 64) on `name`, after one step that compiles its kernels. */
function timeOneStep(name: BackendName): number {
  setBackend(name);
  const config = modelConfig('small-cnn', 'bn');
  const model = buildModel(config, 0);
  const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 0 });
  const { images, labels } = batchOf(digits().train, Array.from({ length: 64 }, (_, i) => i));
  trainStep(model, optimizer, images, labels, { epoch: 0, step: 1 });
  const started = performance.now();
  trainStep(model, optimizer, images, labels, { epoch: 0, step: 2 });
  return performance.now() - started;
}

/** Times a training step on WebGL2 and on WebAssembly and keeps the faster; returns its name and the reason, with both times. */
function measureBackends(): { name: BackendName; why: string; times: Record<string, number> } {
  const times: Record<string, number> = {};
  for (const name of ['webasm', 'webgl'] as const) {
    try {
      times[name] = timeOneStep(name);
    } catch (error) {
      console.warn(`${name} could not train a step: ${(error as Error).message}`);
    }
  }
  const ranked = Object.entries(times).sort((a, b) => a[1] - b[1]);
  const name = (ranked[0]?.[0] ?? 'webasm') as BackendName;
  setBackend(name);
  return { name, times, why: `measured one small-cnn training step (batch 64): ${ranked.map(([backend, ms]) => `${backend} ${ms.toFixed(0)} ms`).join(', ')}; ${name} is faster here` };
}

/** Loads the shipped pretrained models (web/pretrained/) into both slots; returns the first screen's digit, or null if they are missing. */
async function loadPretrained(): Promise<{ index: number; attack: AttackName; eps: number } | null> {
  const manifest = await fetch('pretrained/manifest.json');
  if (!manifest.ok) return null;
  const { firstScreen, files } = (await manifest.json()) as { firstScreen: { index: number; attack: AttackName; eps: number }; files: Record<Slot, { file: string }> };
  for (const slot of ['bn', 'rn'] as const) {
    const response = await fetch(`pretrained/${files[slot].file}`);
    if (!response.ok) throw new Error(`pretrained/${files[slot].file}: HTTP ${response.status}`);
    const { model, metadata } = decodeCheckpoint(await response.arrayBuffer(), files[slot].file);
    state.models.set(slot, { ...adopt(model, metadata.model, `pretrained (${files[slot].file}, 2 epochs on 4096 digits by the CLI)`), pretrained: true });
  }
  return firstScreen;
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
    const backend = chooseBackend();
    status.textContent = `backend ${backend.name} · loading digits and the pretrained models…`;
    state.digits = decodeDigits(await fetchDigits());
    if (backend.measure) {
      status.textContent = 'timing a training step on WebGL2 and on WebAssembly…';
      await new Promise((resolve) => setTimeout(resolve, 0));
      const measured = measureBackends();
      backend.name = measured.name;
      backend.why = `${measured.why}; ${backend.why}`;
      status.dataset.stepMs = JSON.stringify(measured.times);
    }
    const firstScreen = await loadPretrained();
    const attackPanel = mountAttackPanel(section('attack'));
    mountTrainPanel(section('train'), () => undefined);
    mountShiftPanel(section('shift'));
    mountBackwardPanel(section('backward'));
    mountBenchPanel(section('bench'));
    section('attack').dispatchEvent(new Event('digits-ready'));
    status.replaceChildren(`backend ${backend.name} · ${state.digits.train.count} training and ${state.digits.test.count} test digits, two pretrained models `,
      el('details', {}, el('summary', {}, 'why this backend, and the renderer'), backend.why));
    status.dataset.backend = getBackend().name;
    status.dataset.ready = String(performance.now());
    if (firstScreen !== null) attackPanel.openOn(firstScreen.index, firstScreen.attack, firstScreen.eps);
  } catch (error) {
    status.textContent = `the playground could not start: ${(error as Error).message}`;
    console.error(error);
  }
}

void start();
