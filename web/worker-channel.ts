/**
 * The page's side of a worker that answers one request at a time (the attack
 * workers, web/worker-client.ts; the bench worker, web/bench-client.ts): each
 * request gets an id, the answers in between (progress) go to a callback, the
 * answer that ends it resolves the promise. A newer request replaces the
 * running one (which resolves with null); cancel() terminates the worker (a
 * computation cannot be stopped halfway otherwise) and the next request
 * starts a fresh one.
 */

/** What every answer carries: the request's id and its kind ('error' ones a message). */
export interface Answer {
  id: number;
  type: string;
  message?: string;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A request without its id (the channel numbers them) and without the fields `Added` that a client adds. */
export type Ask<Request, Added extends PropertyKey = never> = DistributiveOmit<Request, 'id' | Added>;

export class WorkerChannel<Reply extends Answer> {
  private worker: Worker | null = null;
  private nextId = 0;
  private pending: { id: number; resolve(answer: Reply | null): void; reject(error: Error): void; each(answer: Reply): void } | null = null;
  private idleListeners: Array<() => void> = [];

  /**
   * `name` for error messages; `create` makes the worker; answers whose type
   * is in `passing` go to the request's callback and do not end it
   * ('error' ends it with an Error).
   */
  constructor(private readonly name: string, private readonly create: () => Worker, private readonly passing: readonly string[]) {}

  /** Whether a request is running. */
  get busy(): boolean {
    return this.pending !== null;
  }

  /** Calls `listener` each time a request ends (answered, failed or cancelled) and none follows at once. */
  onIdle(listener: () => void): void {
    this.idleListeners.push(listener);
  }

  /** Starts the worker now (or adopts `early`, one started before this script loaded); no-op where it runs or there are no workers. */
  start(early?: Worker): void {
    if (this.worker !== null || typeof Worker === 'undefined') return;
    const worker = early ?? this.create();
    worker.onmessage = (event: MessageEvent<Reply>) => this.answered(event.data);
    worker.onerror = (event) => this.ended(null, new Error(`the ${this.name} failed: ${event.message}`), true);
    this.worker = worker;
    this.started();
  }

  /** Called when a fresh worker starts (a subclass resets what it has sent it). */
  protected started(): void {}

  /** Posts `message` to the worker, starting it first. */
  protected post(message: unknown): void {
    this.start();
    this.worker!.postMessage(message);
  }

  /** Sends `request` under a new id; `each` gets the passing answers; resolves with the answer that ends it, or null when cancelled or replaced. */
  protected send(request: object, each: (answer: Reply) => void): Promise<Reply | null> {
    this.start();
    this.pending?.resolve(null);
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending = { id, resolve, reject, each };
      this.post({ ...request, id });
    });
  }

  /** Ends the running request (it resolves with null); the next request starts a fresh worker. */
  cancel(): void {
    this.worker?.terminate();
    this.ended(null, null, true);
  }

  private answered(answer: Reply): void {
    const pending = this.pending;
    if (pending === null || answer.id !== pending.id) return;
    if (this.passing.includes(answer.type)) return pending.each(answer);
    if (answer.type === 'error') this.ended(null, new Error(answer.message), false);
    else this.ended(answer, null, false);
  }

  /** Settles the pending request (with `answer`, or rejects with `error`); `dropWorker`: the worker is gone. */
  private ended(answer: Reply | null, error: Error | null, dropWorker: boolean): void {
    const pending = this.pending;
    this.pending = null;
    if (dropWorker) this.worker = null;
    if (error !== null) pending?.reject(error);
    else pending?.resolve(answer);
    // after the awaiting code has run (it may send the next request at once)
    setTimeout(() => {
      if (this.pending === null) for (const listener of this.idleListeners) listener();
    }, 0);
  }
}
