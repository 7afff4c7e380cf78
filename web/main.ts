/**
 * The playground page: picks the backend (auto: WebGL2 on a hardware GPU,
 * WebAssembly otherwise; `?backend=webgl|webasm|reference` forces one), says
 * which runs on what, loads the digits and mounts the panels. `window.playground`
 * exposes the panels' functions to the browser tests and to the console.
 */
import { batchOf, decodeCheckpoint, getBackend, glRenderer, resolveAuto, setBackend, type AttackName, type BackendName } from '../src/browser.js';
import { attackDigit, attackLog, mountAttackPanel } from './attack-panel.js';
import { mountBackwardPanel, robustNormPaths } from './backward-panel.js';
import { kernelCheck, kernelSpeed, mountBenchPanel } from './bench-panel.js';
import { decodeDigits } from './digits.js';
import { measureShift, mountShiftPanel } from './shift-panel.js';
import { adopt, digits, logitsOf, modelIn, state, type Slot } from './state.js';
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

function chooseBackend(): string {
  const forced = new URLSearchParams(location.search).get('backend');
  const renderer = glRenderer();
  if (forced !== null && forced !== 'auto') {
    setBackend(forced as BackendName);
    return `${forced} (chosen by ?backend=${forced})${renderer ? `; this browser's WebGL2 renderer: ${renderer}` : ''}`;
  }
  const { name, reason } = resolveAuto();
  setBackend(name);
  return `${name}: ${reason}${renderer && name !== 'webgl' ? `; WebGL2 renderer: ${renderer}` : ''}`;
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
    status.textContent = `backend ${backend} · loading digits…`;
    state.digits = decodeDigits(await fetchDigits());
    const firstScreen = await loadPretrained();
    const attackPanel = mountAttackPanel(section('attack'));
    mountTrainPanel(section('train'), () => undefined);
    mountShiftPanel(section('shift'));
    mountBackwardPanel(section('backward'));
    mountBenchPanel(section('bench'));
    section('attack').dispatchEvent(new Event('digits-ready'));
    status.textContent = `backend ${backend} · ${state.digits.train.count} training and ${state.digits.test.count} test digits`;
    status.dataset.backend = getBackend().name;
    status.dataset.ready = String(performance.now());
    if (firstScreen !== null) attackPanel.openOn(firstScreen.index, firstScreen.attack, firstScreen.eps);
  } catch (error) {
    status.textContent = `the playground could not start: ${(error as Error).message}`;
    console.error(error);
  }
}

void start();
