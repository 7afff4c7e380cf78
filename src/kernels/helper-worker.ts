/**
 * The webasm helper thread's module in Node (worker_threads): helper-thread.ts
 * starts it with its data; it hands each message to the job handler
 * (helper-jobs.ts) and says it is ready.
 *
 * Node-only (it is never part of a page's import graph: helper-thread.ts
 * names it by URL; the page's helper is helper-worker-browser.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { helperJobs, markReady } from './helper-jobs.js';
import type { HelperWorkerData } from './helper-protocol.js';

const data = workerData as HelperWorkerData;
parentPort?.on('message', helperJobs(data));
markReady(data);
