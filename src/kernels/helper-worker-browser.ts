/**
 * The webasm helper thread's module in a browser: a module Worker started by
 * helper-thread.ts from inside another worker (only a worker may block on
 * `Atomics.wait`, so the page's own thread never has a helper). A browser
 * worker has no start-up data: the first message carries it; every later
 * one is a job for the handler (helper-jobs.ts, which answers a gpu.js that
 * cannot start on every kernel job). A script that cannot load is the
 * starter's `onerror` (helper-thread.ts).
 *
 * The page bundles it as its own script (web/helper-worker.ts) and names
 * that script's URL with `useHelperWorkerScript` (helper-thread.ts).
 */
import { helperJobs, markReady } from './helper-jobs.js';
import type { HelperWorkerData, KernelMessage, LoopMessage } from './helper-protocol.js';

const scope = globalThis as unknown as { onmessage: ((event: MessageEvent) => void) | null };

scope.onmessage = (first: MessageEvent<HelperWorkerData>) => {
  const handle = helperJobs(first.data);
  scope.onmessage = (event: MessageEvent<KernelMessage | LoopMessage>) => handle(event.data);
  markReady(first.data);
};
