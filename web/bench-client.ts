/**
 * The page's side of the bench worker (web/bench-worker.ts): one request at a
 * time, its progress and rows passed on as they come; cancel() terminates
 * the worker (a measurement cannot be stopped halfway otherwise) and the next
 * request starts a fresh one (web/worker-channel.ts).
 */
import type { BenchAnswer, BenchRequest } from './bench-worker.js';
import { WorkerChannel, type Ask } from './worker-channel.js';

/** A request without its id (the client numbers them). */
export type BenchAsk = Ask<BenchRequest>;
/** The answers that end a request. */
export type BenchEnd = Extract<BenchAnswer, { type: 'backends' | 'done' | 'step-times' }>;

export class BenchWorker extends WorkerChannel<BenchAnswer> {
  constructor() {
    super('bench worker', () => new Worker('bench-worker.js', { type: 'module' }), ['progress', 'row']);
  }

  /** Sends `request`; `each` gets its progress and rows; resolves with the answer that ends it, or null when cancelled. */
  ask(request: BenchAsk, each: (answer: BenchAnswer) => void = () => undefined): Promise<BenchEnd | null> {
    return this.send(request, each) as Promise<BenchEnd | null>;
  }
}
