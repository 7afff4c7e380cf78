/**
 * The playground page: picks the backend (auto: WebGL2 on a hardware GPU,
 * WebAssembly otherwise; `?backend=webgl|webasm|reference` forces one), says
 * which runs on what, loads the digits and mounts the panels. `window.playground`
 * exposes the panels' functions to the browser tests and to the console.
 */
import { batchOf, getBackend, glRenderer, resolveAuto, setBackend, type BackendName } from '../src/browser.js';
import { attackDigit, mountAttackPanel } from './attack-panel.js';
import { mountBackwardPanel, robustNormPaths } from './backward-panel.js';
import { kernelCheck, kernelSpeed, mountBenchPanel } from './bench-panel.js';
import { decodeDigits } from './digits.js';
import { measureShift, mountShiftPanel } from './shift-panel.js';
import { digits, logitsOf, modelIn, state } from './state.js';
import { mountTrainPanel, trainingLog, stepModel } from './train-panel.js';

const api = { attackDigit, kernelCheck, kernelSpeed, measureShift, robustNormPaths, stepModel, trainingLog, state, backend: () => getBackend().name,
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

async function start(): Promise<void> {
  const status = document.getElementById('backend') as HTMLElement;
  const section = (id: string): HTMLElement => document.querySelector(`#${id} .body`) as HTMLElement;
  try {
    const backend = chooseBackend();
    status.textContent = `backend ${backend} · loading digits…`;
    const response = await fetch('digits.bin');
    if (!response.ok) throw new Error(`digits.bin: HTTP ${response.status}`);
    state.digits = decodeDigits(await response.arrayBuffer());
    mountTrainPanel(section('train'), () => undefined);
    mountAttackPanel(section('attack'));
    mountShiftPanel(section('shift'));
    mountBackwardPanel(section('backward'));
    mountBenchPanel(section('bench'));
    section('attack').dispatchEvent(new Event('digits-ready'));
    status.textContent = `backend ${backend} · ${state.digits.train.count} training and ${state.digits.test.count} test digits`;
    status.dataset.backend = getBackend().name;
    status.dataset.ready = String(performance.now());
  } catch (error) {
    status.textContent = `the playground could not start: ${(error as Error).message}`;
    console.error(error);
  }
}

void start();
