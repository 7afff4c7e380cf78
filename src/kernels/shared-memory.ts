/**
 * Arrays in shared memory (SharedArrayBuffer), which the webasm backend's
 * helper thread reads and writes in place (helper-thread.ts, split-loop.ts).
 * A leaf module, so that the backend and the loops that use it import it
 * without a cycle.
 */

/** Whether every typed array of `task` lives in shared memory (so the helper sees and writes the same values). */
export function inSharedMemory(task: object): boolean {
  for (const value of Object.values(task)) {
    if (ArrayBuffer.isView(value) && !(typeof SharedArrayBuffer === 'function' && value.buffer instanceof SharedArrayBuffer)) return false;
  }
  return true;
}

/** A float64 array in shared memory where there is any (a task's small per-index inputs and results). */
export function sharedFloat64(length: number): Float64Array {
  return typeof SharedArrayBuffer === 'function' ? new Float64Array(new SharedArrayBuffer(8 * length)) : new Float64Array(length);
}
