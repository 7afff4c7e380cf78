/**
 * The attack worker: runs the attack panel's attacks off the page's main
 * thread, so that the page keeps drawing and answering clicks (and Cancel)
 * while PGD takes seconds. It gets the test digits once, and each request the
 * two models as checkpoint bytes (the page's current ones); it answers with
 * progress after each of the three settings, then the results. Always on
 * WebAssembly: gpu.js's WebGL2 needs a document, which a worker has not.
 */
import { decodeCheckpoint, setBackend, type AttackName } from '../src/browser.js';
import { accuracyCurve, attackDigit, SETTINGS, tableOne, type CurvePoint, type TableRow } from './attack-core.js';
import { adopt, state, testAccuracy, type Slot } from './state.js';
import type { Dataset } from '../src/index.js';

/** What the page asks. */
export type WorkerRequest =
  | { type: 'digits'; test: Dataset }
  | { type: 'attack'; id: number; models: Record<Slot, { bytes: Uint8Array; key: string }>; index: number; attack: AttackName; eps: number; drawn: Float32Array | null; drawnLabel: number | null }
  | { type: 'curve'; id: number; models: Record<Slot, { bytes: Uint8Array; key: string }>; count: number }
  | { type: 'table'; id: number; models: Record<Slot, { bytes: Uint8Array; key: string }>; count: number; eps: number; attacks: AttackName[] };

/** What the worker answers. */
export type WorkerAnswer =
  | { type: 'progress'; id: number; done: number; total: number }
  | { type: 'result'; id: number; results: ReturnType<typeof attackDigit>; accuracies: number[] }
  | { type: 'curve'; id: number; points: CurvePoint[] }
  | { type: 'table'; id: number; rows: TableRow[] }
  | { type: 'error'; id: number; message: string };

const scope = globalThis as unknown as { onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null; postMessage(message: WorkerAnswer): void };
const loaded = new Map<Slot, string>();
setBackend('webasm');

scope.onmessage = (event) => {
  const request = event.data;
  if (request.type === 'digits') {
    const empty: Dataset = { ...request.test, name: 'none', images: new Float32Array(0), labels: new Uint8Array(0), count: 0 };
    state.digits = { train: empty, test: request.test };
    return;
  }
  try {
    for (const slot of ['bn', 'rn'] as const) {
      const { bytes, key } = request.models[slot];
      if (loaded.get(slot) === key) continue;
      const { model, metadata } = decodeCheckpoint(bytes, key);
      state.models.set(slot, adopt(model, metadata.model, key));
      loaded.set(slot, key);
    }
    if (request.type === 'table') {
      const rows = tableOne(request.count, request.eps, request.attacks, (done, total) => scope.postMessage({ type: 'progress', id: request.id, done, total }));
      scope.postMessage({ type: 'table', id: request.id, rows });
      return;
    }
    if (request.type === 'curve') {
      const points = accuracyCurve(request.count, 'fgsm', (done, total) => scope.postMessage({ type: 'progress', id: request.id, done, total }));
      scope.postMessage({ type: 'curve', id: request.id, points });
      return;
    }
    const results = attackDigit(request.index, request.attack, request.eps, request.drawn, 0, request.drawnLabel, (done) => scope.postMessage({ type: 'progress', id: request.id, done, total: SETTINGS.length }));
    const accuracies = SETTINGS.map((setting) => testAccuracy(state.models.get(setting.slot)!, setting.statistics));
    scope.postMessage({ type: 'result', id: request.id, results, accuracies });
  } catch (error) {
    scope.postMessage({ type: 'error', id: request.id, message: (error as Error).message });
  }
};
