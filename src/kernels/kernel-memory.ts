/**
 * The gpu.js backends' kernel memory: where a kernel's inputs are written and
 * which working buffers are kept between calls, so that a training step
 * neither copies its inputs twice nor allocates its scratch space anew.
 *   - allocateHere: straight into the region of a webasm kernel's memory that
 *     gpu.js would copy the argument into (skipCopiesOntoThemselves in
 *     gpujs-patches.ts then skips that copy);
 *   - allocateShared: in shared memory, for the helper thread's part;
 *   - scratch: working buffers, one per purpose and shape;
 *   - padForward / padForGradWeight: a convolution input's zero-padded copy,
 *     made once for the forward pass and the weight gradient.
 */
import type { IKernelRunShortcut } from 'gpu.js';
import type { RangeLoop } from './kernel-backend.js';
import type { Allocate } from './kernel-runner.js';
import { copyIntoPadding, padInput } from './layout.js';
import { shapeKey, type Conv2dShape } from './shapes.js';

/** How the memory splits a loop over the backend's threads (TwoThreads.splitLoop). */
export type LoopSplitter = <Task extends object>(loop: RangeLoop<Task>, task: Task, count: number, values: number) => boolean;

export class KernelMemory {
  /**
   * The zero-padded copy of a convolution input made by the forward pass,
   * handed to the weight gradient of that input (autograd passes the same
   * array to both) and dropped there. The forward pass always pads afresh,
   * so an array refilled in place between two forward passes is never stale.
   * Held weakly: it goes when the input does.
   */
  private readonly paddedInputs = new WeakMap<Float32Array, { shape: string; padded: Float32Array }>();

  /**
   * Working buffers that never leave a kernel call (the weight gradient's
   * padded input, the scatter's padded sums), one per purpose and shape,
   * kept between calls: a training step then does not allocate them anew
   * (bench/allocation.ts measured 24 of a small-cnn step's 105 MB). Zero
   * when first made; each user says what it relies on of the previous contents.
   */
  private readonly scratchBuffers = new Map<string, Float32Array>();

  /**
   * In shared memory, which the helper thread reads without a copy
   * (helper-thread.ts); one array per kernel argument, kept between calls
   * (the helper is done with it when `inParts` returns) and zero-filled again.
   */
  private readonly sharedArguments = new Map<string, Float32Array>();

  /**
   * `compiled`: the backend's compiled kernel of a key, if any; `shared`:
   * whether a helper thread works in these buffers; `splitLoop`: how loops
   * over them are split.
   */
  constructor(
    private readonly compiled: (key: string) => IKernelRunShortcut | undefined,
    private readonly shared: boolean,
    private readonly splitLoop: LoopSplitter,
  ) {}

  padForward(x: Float32Array, shape: Conv2dShape): Float32Array {
    const padded = padInput(x, shape.batch * shape.inChannels, shape.height, shape.width, shape.padding);
    if (padded !== x) this.paddedInputs.set(x, { shape: shapeKey('conv', shape), padded });
    return padded;
  }

  padForGradWeight(x: Float32Array, shape: Conv2dShape): Float32Array {
    const cached = this.paddedInputs.get(x);
    this.paddedInputs.delete(x);
    if (cached !== undefined && cached.shape === shapeKey('conv', shape)) return cached.padded;
    const { batch: N, inChannels: C, height: H, width: W, padding: P } = shape;
    if (P === 0) return x;
    // a scratch buffer whose zeros stay in place: only the inside is written, split over both threads when it can be
    const padded = this.scratch(shapeKey('gradWeightPadded', shape), N * C * (H + 2 * P) * (W + 2 * P));
    this.splitLoop(copyIntoPadding, { x, padded, height: H, width: W, padHeight: P, padWidth: P }, N * C, x.length);
    return padded;
  }

  scratch(key: string, length: number): Float32Array {
    let buffer = this.scratchBuffers.get(key);
    if (buffer === undefined || buffer.length !== length) {
      // in shared memory with a helper thread, which may work in it (PartWork's loops)
      buffer = this.shared ? new Float32Array(new SharedArrayBuffer(4 * length)) : new Float32Array(length);
      this.scratchBuffers.set(key, buffer);
    }
    return buffer;
  }

  /**
   * Where argument `argument` of kernel `key` will be read from on its next
   * run (webasm): a zero-filled view of the region of the kernel's memory
   * that gpu.js would copy it into, so that a single-use input (a transposed
   * or packed copy) is written there directly and not copied again. A fresh
   * array before the kernel's first run, and whenever the region is not
   * exactly `length` values.
   */
  readonly allocateHere: Allocate = (key, argument, length) => {
    const entry = (this.compiled(key)?.kernel as { _active?: { f32?: Float32Array; memory?: WebAssembly.Memory; layout?: { arrays?: Record<string, { index: number; offset: number; flatLength: number }> } } } | undefined)?._active;
    const record = Object.values(entry?.layout?.arrays ?? {}).find((array) => array.index === argument);
    const memory = entry?.f32;
    if (record === undefined || memory === undefined || memory.buffer !== entry?.memory?.buffer || record.flatLength !== length) return new Float32Array(length);
    return memory.subarray(record.offset / 4, record.offset / 4 + length).fill(0);
  };

  /** A zero-filled array for argument `argument` of kernel `key` in shared memory, kept between calls (see sharedArguments). */
  readonly allocateShared: Allocate = (key, argument, length) => {
    const name = `${key}#${argument}`;
    const kept = this.sharedArguments.get(name);
    if (kept !== undefined && kept.length === length) return kept.fill(0);
    const buffer = new Float32Array(new SharedArrayBuffer(4 * length));
    this.sharedArguments.set(name, buffer);
    return buffer;
  };

  clear(): void {
    this.scratchBuffers.clear();
    this.sharedArguments.clear();
  }
}
