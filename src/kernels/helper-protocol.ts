/**
 * How the main thread and the webasm helper thread talk (helper-thread.ts
 * sends, helper-jobs.ts answers): the worker's start-up data and the two
 * kinds of job. Each job carries a status word in shared memory that the
 * helper sets to DONE or FAILED before waking the main thread; a failure's
 * message is written first into the error text, which the main thread reads
 * after its wait (shared memory too: a blocked thread receives no message).
 */

/** A job's status word: 0 while it runs. */
export const DONE = 1;
export const FAILED = 2;

/** What helper-thread.ts starts the worker with. */
export interface HelperWorkerData {
  codegen: 'improved' | 'stock';
  /** Set to DONE once the helper listens for jobs, or to FAILED (its message in `errorText`) when it could not start. */
  ready: SharedArrayBuffer;
  /** The last failure's message: its length in bytes (an Int32), then its UTF-8 bytes ({@link writeErrorText}). */
  errorText: SharedArrayBuffer;
}

/** The bytes an error message may take (longer ones are cut). */
export const ERROR_TEXT_BYTES = 4096;

/** Shared memory for a helper's error text. */
export function errorTextBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(4 + ERROR_TEXT_BYTES);
}

/** Writes `text` (cut to ERROR_TEXT_BYTES) where the main thread reads it after a FAILED status. */
export function writeErrorText(buffer: SharedArrayBuffer, text: string): void {
  const bytes = new TextEncoder().encode(text).subarray(0, ERROR_TEXT_BYTES);
  new Uint8Array(buffer, 4).set(bytes);
  new Int32Array(buffer, 0, 1)[0] = bytes.length;
}

/** The text {@link writeErrorText} left, or undefined when none was written. */
export function readErrorText(buffer: SharedArrayBuffer): string | undefined {
  const length = new Int32Array(buffer, 0, 1)[0] as number;
  if (length === 0) return undefined;
  // TextDecoder refuses views of shared memory: decode a copy
  return new TextDecoder().decode(new Uint8Array(buffer, 4, length).slice());
}

/** A kernel job: the kernel (its source the first time), its arguments, where its flat result goes, and the loop that takes it apart there. */
export interface KernelMessage {
  kind: 'kernel';
  key: string;
  source: string;
  output: number[];
  args: Float32Array[];
  out: SharedArrayBuffer;
  status: SharedArrayBuffer;
  finish?: { loop: string; task: object; count: number };
}

/** A loop job: `loop(task, first, end)` on this thread. */
export interface LoopMessage {
  kind: 'loop';
  loop: string;
  task: object;
  first: number;
  end: number;
  status: SharedArrayBuffer;
}
