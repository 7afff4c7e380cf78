/**
 * The page's side of the attack workers (web/attack-worker.ts): each runs one
 * request at a time off the main thread, with progress; cancel() ends the
 * running one (the worker is terminated, and a fresh one starts with the next
 * request). Three of them — the attack panel's, the headline chart's and
 * Table 1's — so that the chart and an attack run side by side. The
 * request-and-answer part is web/worker-channel.ts's.
 */
import { encodeCheckpoint } from '../src/browser.js';
import type { WorkerAnswer, WorkerRequest } from './attack-worker.js';
import { digits, modelIn, type Slot } from './state.js';
import { WorkerChannel, type Ask } from './worker-channel.js';

/** A request as a panel writes it: the id and the models are the client's to add. */
export type PanelRequest = Ask<Exclude<WorkerRequest, { type: 'digits' }>, 'models'>;
/** A progress message (with the partial result some requests send along). */
export type Progress = Extract<WorkerAnswer, { type: 'progress' }>;

export class AttackWorker extends WorkerChannel<WorkerAnswer> {
  private digitsSent = false;

  constructor() {
    // the page's query goes along: ?threads=1 keeps the worker on one core
    super('attack worker', () => new Worker(`attack-worker.js${location.search}`, { type: 'module' }), ['progress']);
  }

  protected override started(): void {
    this.digitsSent = false;
  }

  /** Sends `request` (with the page's current models, and the test digits to a fresh worker) and resolves with the answer, or null when cancelled or replaced by a newer request. */
  ask(request: PanelRequest, progress: (message: Progress) => void = () => undefined): Promise<WorkerAnswer | null> {
    this.start();
    if (!this.digitsSent) {
      this.post({ type: 'digits', test: digits().test });
      this.digitsSent = true;
    }
    const models = { bn: modelBytes('bn'), rn: modelBytes('rn') };
    return this.send({ ...request, models }, progress as (answer: WorkerAnswer) => void);
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
