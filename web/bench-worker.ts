/**
 * The kernel benchmark's worker: times and checks the kernels (bench-core.ts)
 * off the page's main thread, where compiling WebGL2 kernels on a software
 * renderer takes seconds. gpu.js draws on an OffscreenCanvas here, so WebGL2
 * runs in this worker where the browser gives a worker WebGL2 contexts
 * (Chromium does); the worker says which backends it has. It also times one
 * training step per backend, by which the page picks its own.
 */
import { isBackendAvailable, setBackend, type BackendName } from '../src/browser.js';
import { glRenderer } from '../src/internals.js';
import { kernelCheck, kernelSpeed, timeOneStep, type KernelNumbers, type StepBatch } from './bench-core.js';

/** What the page asks: the backends this worker has, the benchmark on some of them, or a training step's time on each. */
export type BenchRequest =
  | { type: 'backends'; id: number }
  | { type: 'bench'; id: number; names: BackendName[] }
  | { type: 'step-times'; id: number; names: BackendName[]; batch: StepBatch };

/** What the worker answers: progress as each measurement starts, each backend's row, then the end (or an error). */
export type BenchAnswer =
  | { type: 'backends'; id: number; names: BackendName[]; renderer: string | null }
  | { type: 'progress'; id: number; backend: BackendName; stage: 'speed' | 'check' | 'step' }
  | { type: 'row'; id: number; backend: BackendName; speed: KernelNumbers; check: KernelNumbers }
  | { type: 'step-times'; id: number; times: Partial<Record<BackendName, number>>; failures: string[] }
  | { type: 'done'; id: number }
  | { type: 'error'; id: number; message: string };

const scope = globalThis as unknown as { onmessage: ((event: MessageEvent<BenchRequest>) => void) | null; postMessage(message: BenchAnswer): void };
const answer = (message: BenchAnswer): void => scope.postMessage(message);
setBackend('reference'); // the benchmark switches to each backend in turn and back

/** Each backend's speed, then its error against the reference, one row per backend. */
function bench(id: number, names: BackendName[]): void {
  for (const backend of names) {
    answer({ type: 'progress', id, backend, stage: 'speed' });
    const speed = kernelSpeed(backend);
    answer({ type: 'progress', id, backend, stage: 'check' });
    answer({ type: 'row', id, backend, speed, check: kernelCheck(backend) });
  }
  answer({ type: 'done', id });
}

/** One small-cnn training step's milliseconds on each backend that can train one. */
function stepTimes(id: number, names: BackendName[], batch: StepBatch): void {
  const times: Partial<Record<BackendName, number>> = {};
  const failures: string[] = [];
  for (const backend of names) {
    answer({ type: 'progress', id, backend, stage: 'step' });
    try {
      times[backend] = timeOneStep(backend, batch);
    } catch (error) {
      failures.push(`${backend} could not train a step: ${(error as Error).message}`);
    }
  }
  answer({ type: 'step-times', id, times, failures });
}

scope.onmessage = (event) => {
  const request = event.data;
  try {
    if (request.type === 'backends') {
      const names = (['webgl', 'webasm'] as BackendName[]).filter(isBackendAvailable);
      answer({ type: 'backends', id: request.id, names, renderer: names.includes('webgl') ? glRenderer() : null });
    } else if (request.type === 'bench') {
      bench(request.id, request.names);
    } else {
      stepTimes(request.id, request.names, request.batch);
    }
  } catch (error) {
    answer({ type: 'error', id: request.id, message: (error as Error).message });
  }
};
