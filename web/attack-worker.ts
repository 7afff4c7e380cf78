/**
 * The attack worker: runs the attack panel's attacks, the headline chart and
 * Table 1 off the page's main thread, so that the page keeps drawing and
 * answering clicks (and Cancel) while PGD takes seconds. It gets the test
 * digits once, and each request the two models as checkpoint bytes (the
 * page's current ones); it answers with progress, then the results. Always on
 * WebAssembly (on a software renderer WebGL2 is far slower; the kernel
 * benchmark's worker, bench-worker.ts, shows by how much).
 *
 * As it starts (the page starts it before its own data have loaded) it warms
 * up: one FGSM step on a blank batch of 128 through a small-cnn compiles the
 * WebAssembly kernels of the shapes the first screen's attack uses, while the
 * page is still fetching digits and models.
 *
 * Where the page is cross-origin isolated, it uses both cores as the Node
 * command does: a helper thread (helper-worker.js) runs half of each big
 * kernel and loop, over shared memory, while this worker blocks on it.
 */
import { buildModel, decodeCheckpoint, fgsm, modelConfig, setBackend, Tensor, type AttackName } from '../src/browser.js';
import { helperThreadStarted, loopsStartedOnHelper, paperAttackSettings, useHelperWorkerScript } from '../src/internals.js';
import { accuracyCurve, ATTACK_BATCH, attackDigit, SETTINGS, tableOne, type CurveAttack, type CurvePoint, type SettingResult, type TableRow } from './attack-core.js';
import { absoluteNow, adopt, state, testAccuracy, type Slot } from './state.js';
import type { Dataset } from '../src/index.js';

type Models = Record<Slot, { bytes: Uint8Array; key: string }>;

/** What the page asks. */
export type WorkerRequest =
  | { type: 'digits'; test: Dataset }
  | { type: 'attack'; id: number; models: Models; index: number; attack: AttackName; eps: number; drawn: Float32Array | null; drawnLabel: number | null }
  | { type: 'accuracies'; id: number; models: Models }
  | { type: 'curve'; id: number; models: Models; count: number; attack: CurveAttack; eps: number[] }
  | { type: 'table'; id: number; models: Models; count: number; eps: number; attacks: AttackName[] };

/** What the worker answers: progress (a curve's progress carries the point just computed), then one result or an error. */
export type WorkerAnswer =
  | { type: 'progress'; id: number; done: number; total: number; point?: CurvePoint; clean?: number[][]; result?: SettingResult }
  | { type: 'result'; id: number; results: ReturnType<typeof attackDigit>; marks: Array<[string, number]> }
  | { type: 'accuracies'; id: number; accuracies: number[] }
  | { type: 'curve'; id: number; points: CurvePoint[] }
  | { type: 'table'; id: number; rows: TableRow[] }
  | { type: 'error'; id: number; message: string };

const scope = globalThis as unknown as { onmessage: ((event: MessageEvent<WorkerRequest>) => Promise<void>) | null; postMessage(message: WorkerAnswer): void };
const loaded = new Map<Slot, string>();
/** Moments of the worker's work (absolute times), sent with the next attack result for the page's timeline. */
let marks: Array<[string, number]> = [['worker: started', absoluteNow()]];
const mark = (name: string): void => void marks.push([name, absoluteNow()]);
// both cores where the page is cross-origin isolated: a helper thread runs half of each big kernel (as in Node);
// the page's ?threads=1 (passed on in this script's URL) keeps one, as ROBUSTNORM_THREADS=1 does in Node
if (new URL(import.meta.url).searchParams.get('threads') !== '1') useHelperWorkerScript(new URL('helper-worker.js', import.meta.url).href);
setBackend('webasm');

/** Compiles the kernels of a small-cnn's forward and input-gradient passes at batch 128 (one FGSM step on a blank batch). */
function warmUp(): void {
  const model = buildModel(modelConfig('small-cnn', 'bn'), 0);
  model.eval();
  model.setNormStatistics('population');
  const blank = new Tensor(new Float32Array(ATTACK_BATCH * 784), [ATTACK_BATCH, 1, 28, 28]);
  fgsm(model, blank, new Uint8Array(ATTACK_BATCH), paperAttackSettings(0.2)); // a forward and an input-gradient pass: every kernel a classification uses too
}
/**
 * The warm-up, once the helper thread has started (a browser starts a
 * nested worker only while this thread is free; up to 1 s, then on one
 * thread): both threads then compile their halves' kernels at once.
 */
const warmedUp = helperThreadStarted(1000).then((started) => {
  mark(`worker: helper thread ${started ? 'started' : 'not started'}`);
  try {
    warmUp();
    mark('worker: kernels warmed up');
  } catch (error) {
    // only a head start: the first request compiles what it needs
    console.warn(`the attack worker could not warm up: ${(error as Error).message}`);
  }
});

scope.onmessage = async (event) => {
  await warmedUp; // requests wait for it, in the order they came
  const request = event.data;
  if (request.type === 'digits') {
    const empty: Dataset = { ...request.test, name: 'none', images: new Float32Array(0), labels: new Uint8Array(0), count: 0 };
    state.digits = { train: empty, test: request.test };
    mark('worker: digits');
    return;
  }
  try {
    for (const slot of ['bn', 'rn'] as const) {
      const { bytes, key } = request.models[slot];
      if (loaded.get(slot) === key) continue;
      const { model, metadata } = decodeCheckpoint(bytes, key);
      state.models.set(slot, adopt(model, metadata.model, key));
      loaded.set(slot, key);
      mark(`worker: ${slot} model decoded`);
    }
    const progress = (done: number, total: number, point?: CurvePoint): void => scope.postMessage({ type: 'progress', id: request.id, done, total, ...(point === undefined ? {} : { point }) });
    switch (request.type) {
      case 'table':
        scope.postMessage({ type: 'table', id: request.id, rows: tableOne(request.count, request.eps, request.attacks, progress) });
        return;
      case 'curve': {
        // progress in batches attacked; each point goes to the page as soon as it is known
        const batches = { done: 0, total: 1 };
        const points = accuracyCurve(request.count, request.attack, request.eps, (point) => progress(batches.done, batches.total, point), (done, total) => {
          Object.assign(batches, { done, total });
          progress(done, total);
        });
        scope.postMessage({ type: 'curve', id: request.id, points });
        return;
      }
      case 'accuracies':
        // each setting's share of the first test digits right (cached per model until it changes)
        scope.postMessage({ type: 'accuracies', id: request.id, accuracies: SETTINGS.map((setting) => testAccuracy(state.models.get(setting.slot)!, setting.statistics)) });
        return;
      case 'attack': {
        // the clean predictions first, then each setting's result as it is known
        const results = attackDigit(request.index, request.attack, request.eps, request.drawn, 0, request.drawnLabel, (done, result) => {
          mark(`worker: setting ${done} attacked`);
          scope.postMessage({ type: 'progress', id: request.id, done, total: SETTINGS.length, result });
        }, (clean) => {
          mark('worker: clean predictions');
          scope.postMessage({ type: 'progress', id: request.id, done: 0, total: SETTINGS.length, clean });
        });
        // how many loops the helper thread has run so far (0 on one core, or where the page is not cross-origin isolated)
        mark(`worker: helper thread loops ${loopsStartedOnHelper()}`);
        scope.postMessage({ type: 'result', id: request.id, results, marks });
        marks = [];
      }
    }
  } catch (error) {
    scope.postMessage({ type: 'error', id: request.id, message: (error as Error).message });
  }
};
