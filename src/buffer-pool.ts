/**
 * Reusing the float32 buffers of a loop's steps.
 *
 * Every op returns its result in a new array, because autograd cannot know
 * when nothing refers to a tensor any more (JavaScript has no reference
 * counts). A `small-cnn` training step made about 59 MB of such arrays (1.3 MB
 * with this pool), which the garbage collector had to find and free. The loops that run steps
 * know better: once a training step or one attack iteration is over, nothing
 * it computed is needed again, except what it keeps on purpose.
 *
 * `reuseBuffers(fn)` runs `fn` with a scope open. Every buffer made by
 * `float32Buffer` while it is open is recorded, and when `fn` returns (or
 * throws), each recorded buffer goes back to a free list, from which the next
 * request of the same length is served. A steady loop then allocates only
 * what it keeps.
 *
 * The rule that makes this safe: a tensor made inside `fn` is not used after
 * `fn` returns, unless its buffer was kept with `keepBuffer`. Autograd keeps
 * the gradients it leaves on leaves (`parameter.grad`); a kept buffer of an
 * inner scope belongs to the scope around it, so it lives until that one
 * ends. Only the project's own loops open scopes (the training step, the
 * attack iterations, evaluation batches); user code that never calls
 * `reuseBuffers` gets fresh arrays as before.
 *
 * `ROBUSTNORM_CHECK_BUFFERS=1` turns on a check of that rule: buffers are
 * filled with NaN when their scope ends and never handed out again, so a
 * tensor used after its step reads NaN (which the loss and SGD report) instead
 * of another step's numbers.
 */
import { environmentVariable } from './environment.js';

/** Buffers taken in one open scope, by the ArrayBuffer they own (a reshaped view shares it). */
type Scope = Map<ArrayBufferLike, Float32Array>;

const openScopes: Scope[] = [];
/** Free buffers by length, and the number of the last outermost scope that asked for that length. */
const freeByLength = new Map<number, { buffers: Float32Array[]; lastUsed: number }>();
/** Free lists not asked for in this many outermost scopes are dropped (a batch size that no longer occurs). */
const UNUSED_SCOPES_BEFORE_DROP = 16;
let outermostScopes = 0;
/** Whether new buffers live in shared memory (set by backend.ts while the backend has a helper thread). */
let shared = false;

/**
 * Makes the buffers of later scopes live in shared memory (a
 * SharedArrayBuffer), which the webasm backend's helper thread reads and
 * writes in place: it then runs half of a norm layer's loops
 * (kernels/split-loop.ts). Called by `setBackend` (kernels/backend.ts) when
 * it installs a backend with a helper thread, and with false when that backend
 * goes; buffers made outside a scope stay ordinary arrays.
 */
export function setSharedBuffers(enabled: boolean): void {
  const wanted = enabled && typeof SharedArrayBuffer === 'function';
  // the free buffers are of the other kind: not handed out again
  if (wanted !== shared) freeByLength.clear();
  shared = wanted;
}

function newFloat32(length: number): Float32Array {
  return shared ? new Float32Array(new SharedArrayBuffer(4 * length)) : new Float32Array(length);
}
let checking = environmentVariable('ROBUSTNORM_CHECK_BUFFERS') === '1';

/** Turns the use-after-step check on or off (see the file's comment). */
export function setCheckBuffers(enabled: boolean): void {
  checking = enabled;
}

/**
 * A zero-filled float32 array of `length` values: a free one of that length
 * when a scope is open and one is free, a new one otherwise.
 */
export function float32Buffer(length: number): Float32Array {
  const fresh = openScopes.length === 0 || (freeByLength.get(length)?.buffers.length ?? 0) === 0;
  const buffer = float32BufferToOverwrite(length);
  return fresh ? buffer : buffer.fill(0);
}

/**
 * {@link float32Buffer} for a caller that writes every value before it reads
 * any (an op's output or gradient computed element by element): a reused
 * buffer keeps its old values instead of being zero-filled first, a pass over
 * memory saved. Under the check (ROBUSTNORM_CHECK_BUFFERS=1) buffers are
 * never reused, so a caller that leaves a value unwritten reads 0 there and a
 * different number in a normal run: the tests that compare the two find it.
 */
export function float32BufferToOverwrite(length: number): Float32Array {
  const scope = openScopes[openScopes.length - 1];
  if (scope === undefined) return new Float32Array(length);
  const free = freeByLength.get(length);
  if (free !== undefined) free.lastUsed = outermostScopes;
  const buffer = free?.buffers.pop() ?? newFloat32(length);
  scope.set(buffer.buffer, buffer);
  return buffer;
}

/**
 * Lets the buffer behind `values` outlive the open scope: it moves to the
 * scope around it, or, at the outermost, is left to the garbage collector.
 * Values no scope recorded are left alone.
 */
export function keepBuffer(values: ArrayBufferView): void {
  const scope = openScopes[openScopes.length - 1];
  const buffer = scope?.get(values.buffer);
  if (scope === undefined || buffer === undefined) return;
  scope.delete(values.buffer);
  openScopes[openScopes.length - 2]?.set(values.buffer, buffer);
}

/** Runs `fn`; every buffer it took and did not keep is free for reuse after it (see the file's comment). */
export function reuseBuffers<T>(fn: () => T): T {
  if (openScopes.length === 0) outermostScopes++;
  const scope: Scope = new Map();
  openScopes.push(scope);
  try {
    return fn();
  } finally {
    openScopes.pop();
    for (const buffer of scope.values()) release(buffer);
    if (openScopes.length === 0) dropUnusedLengths();
  }
}

function release(buffer: Float32Array): void {
  if (checking) {
    buffer.fill(Number.NaN);
    return;
  }
  // a buffer of the other kind (the backend changed while its scope was open) is not handed out again
  if ((typeof SharedArrayBuffer === 'function' && buffer.buffer instanceof SharedArrayBuffer) !== shared) return;
  let free = freeByLength.get(buffer.length);
  if (free === undefined) {
    free = { buffers: [], lastUsed: outermostScopes };
    freeByLength.set(buffer.length, free);
  }
  free.buffers.push(buffer);
}

function dropUnusedLengths(): void {
  for (const [length, free] of freeByLength) {
    if (outermostScopes - free.lastUsed > UNUSED_SCOPES_BEFORE_DROP) freeByLength.delete(length);
  }
}

/** Bytes held in free lists now (for tests). */
export function freeBufferBytes(): number {
  let bytes = 0;
  for (const free of freeByLength.values()) for (const buffer of free.buffers) bytes += buffer.byteLength;
  return bytes;
}
