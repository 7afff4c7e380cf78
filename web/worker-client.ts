/**
 * The page's side of the attack workers (web/attack-worker.ts): each runs one
 * request at a time off the main thread, with progress; cancel() ends the
 * running one (the worker is terminated, and a fresh one starts with the next
 * request). Three of them — the attack panel's, the headline chart's and
 * Table 1's — so that the chart and an attack run side by side.
 */
import { encodeCheckpoint } from '../src/browser.js';
import type { WorkerAnswer, WorkerRequest } from './attack-worker.js';
import { digits, modelIn, type Slot } from './state.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A request as a panel writes it: the id and the models are the client's to add. */
export type PanelRequest = DistributiveOmit<Exclude<WorkerRequest, { type: 'digits' }>, 'id' | 'models'>;
/** A progress message (with the partial result some requests send along). */
export type Progress = Extract<WorkerAnswer, { type: 'progress' }>;

export class AttackWorker {
  private worker: Worker | null = null;
  private digitsSent = false;
  private pending: { id: number; resolve(answer: WorkerAnswer | null): void; reject(error: Error): void; progress(message: Progress): void } | null = null;
  private nextId = 0;
  private idleListeners: Array<() => void> = [];

  /** Whether a request is running. */
  get busy(): boolean {
    return this.pending !== null;
  }

  /** Calls `listener` each time a request ends (answered, failed or cancelled) and none follows at once. */
  onIdle(listener: () => void): void {
    this.idleListeners.push(listener);
  }

  private settled(): void {
    // after the awaiting code has run (it may send the next request at once)
    setTimeout(() => {
      if (this.pending === null) for (const listener of this.idleListeners) listener();
    }, 0);
  }

  /**
   * Starts the worker now, so that its script loads and its kernels compile
   * (it warms them up as it starts) while the page is still loading; the
   * digits follow with the first request. No-op where there are no workers.
   */
  start(early?: Worker): void {
    if (this.worker !== null || typeof Worker === 'undefined') return;
    // the page's query goes along: ?threads=1 keeps the worker on one core
    const worker = early ?? new Worker(`attack-worker.js${location.search}`, { type: 'module' });
    worker.onmessage = (event: MessageEvent<WorkerAnswer>) => {
      const answer = event.data;
      const pending = this.pending;
      if (pending === null || answer.id !== pending.id) return;
      if (answer.type === 'progress') return pending.progress(answer);
      this.pending = null;
      if (answer.type === 'error') pending.reject(new Error(answer.message));
      else pending.resolve(answer);
      this.settled();
    };
    worker.onerror = (event) => {
      this.pending?.reject(new Error(`the attack worker failed: ${event.message}`));
      this.pending = null;
      this.worker = null;
      this.settled();
    };
    this.worker = worker;
    this.digitsSent = false;
  }

  /** Ends the running request (it resolves with null); the next request starts a fresh worker. */
  cancel(): void {
    this.worker?.terminate();
    this.worker = null;
    this.pending?.resolve(null);
    this.pending = null;
    this.settled();
  }

  /** Sends `request` (with the page's current models) and resolves with the answer, or null when cancelled or replaced by a newer request. */
  ask(request: PanelRequest, progress: (message: Progress) => void = () => undefined): Promise<WorkerAnswer | null> {
    this.start();
    if (!this.digitsSent) {
      this.worker!.postMessage({ type: 'digits', test: digits().test });
      this.digitsSent = true;
    }
    this.pending?.resolve(null);
    const id = ++this.nextId;
    const models = { bn: modelBytes('bn'), rn: modelBytes('rn') };
    return new Promise((resolve, reject) => {
      this.pending = { id, resolve, reject, progress };
      this.worker!.postMessage({ ...request, id, models });
    });
  }
}

/** The attack panel's worker (the first screen's attack, the drawn digit's, the models' test accuracy). */
export const attackWorker = new AttackWorker();

/**
 * Starts the attack worker, adopting the one index.html started before this
 * script loaded (`earlyAttackWorker`) when there is one.
 */
export function startAttackWorker(): void {
  const early = (globalThis as { earlyAttackWorker?: Worker }).earlyAttackWorker;
  delete (globalThis as { earlyAttackWorker?: Worker }).earlyAttackWorker;
  attackWorker.start(early);
}
/** The headline chart's own worker, so that it and an attack run side by side (on both cores). */
export const curveWorker = new AttackWorker();
/** Table 1's worker. */
export const tableWorker = new AttackWorker();

/** The key of the page's current models: it changes when either model is replaced or trains. */
export function modelsKey(): string {
  return `${modelBytesKey('bn')} | ${modelBytesKey('rn')}`;
}

function modelBytesKey(slot: Slot): string {
  const entry = modelIn(slot);
  return `${slot} ${entry.origin} ${entry.config.architecture} ${entry.steps} ${modelGeneration(entry)}`;
}

/** The page's current models as checkpoint bytes, keyed so the worker rebuilds a model only when it changed. */
function modelBytes(slot: Slot): { bytes: Uint8Array; key: string } {
  const entry = modelIn(slot);
  return { bytes: encodeCheckpoint(entry.model, { model: entry.config, seed: 0, training: {} }), key: modelBytesKey(slot) };
}
const generations = new WeakMap<object, number>();
let generation = 0;
function modelGeneration(entry: object): number {
  if (!generations.has(entry)) generations.set(entry, ++generation);
  return generations.get(entry) as number;
}
