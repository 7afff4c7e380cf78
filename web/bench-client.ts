/**
 * The page's side of the bench worker (web/bench-worker.ts): one request at a
 * time, its progress passed on as it comes; cancel() terminates the worker
 * (a measurement cannot be stopped halfway otherwise) and the next request
 * starts a fresh one.
 */
import type { BenchAnswer, BenchRequest } from './bench-worker.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A request without its id (the client numbers them). */
export type BenchAsk = DistributiveOmit<BenchRequest, 'id'>;
/** The answers that end a request. */
export type BenchEnd = Extract<BenchAnswer, { type: 'backends' | 'done' | 'step-times' }>;

export class BenchWorker {
  private worker: Worker | null = null;
  private nextId = 0;
  private pending: { id: number; resolve(answer: BenchEnd | null): void; reject(error: Error): void; each(answer: BenchAnswer): void } | null = null;

  private start(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = new Worker('bench-worker.js', { type: 'module' });
    worker.onmessage = (event: MessageEvent<BenchAnswer>) => this.answered(event.data);
    worker.onerror = (event) => this.fail(new Error(`the bench worker failed: ${event.message}`));
    this.worker = worker;
    return worker;
  }

  private answered(answer: BenchAnswer): void {
    const pending = this.pending;
    if (pending === null || answer.id !== pending.id) return;
    if (answer.type === 'progress' || answer.type === 'row') return pending.each(answer);
    this.pending = null;
    if (answer.type === 'error') pending.reject(new Error(answer.message));
    else pending.resolve(answer);
  }

  private fail(error: Error): void {
    this.pending?.reject(error);
    this.pending = null;
    this.worker = null;
  }

  /** Sends `request`; `each` gets its progress and rows; resolves with the answer that ends it, or null when cancelled. */
  ask(request: BenchAsk, each: (answer: BenchAnswer) => void = () => undefined): Promise<BenchEnd | null> {
    const worker = this.start();
    this.pending?.resolve(null);
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending = { id, resolve, reject, each };
      worker.postMessage({ ...request, id });
    });
  }

  /** Stops the running request (it resolves with null) by terminating the worker. */
  cancel(): void {
    this.worker?.terminate();
    this.worker = null;
    this.pending?.resolve(null);
    this.pending = null;
  }
}
