/**
 * Data layouts shared by the gpu.js convolution and matmul kernels, and the
 * plain-TypeScript packing/unpacking around them.
 *
 * Why these layouts (measured, see docs/performance.md):
 *
 *  - gpu.js runs one thread per output cell. On webasm it vectorizes four
 *    consecutive `thread.x` cells into one f32x4 quad; a value that is the
 *    same for all four lanes ("uniform": it does not depend on thread.x) is
 *    one splatting load (`v128.load32_splat`), and a lane-varying read of
 *    four consecutive floats is one `v128.load` (both from this project's
 *    code generator, wasm-codegen.ts; stock gpu.js gathers four scalar loads).
 *    So every kernel here puts the big, contiguous index (batch × output
 *    position) on thread.x and reads the weights uniformly.
 *  - Each thread returns Array(4): four outputs that share the lane-varying
 *    load (four output channels, or four rows of a matrix). One vector load
 *    then feeds four multiply-adds instead of one. That is the "several outputs
 *    per thread" of the kernels below; the four values come back interleaved
 *    ([cell][4]) and `unpackQuads` puts them where they belong.
 *  - The input is zero-padded on the CPU first (`padInput`), so the kernels
 *    have no bounds tests in their inner loops (a lane-varying test would be
 *    predicated: both sides evaluated for every lane).
 */

/** How many outputs each thread computes (gpu.js returns at most Array(4)). */
export const OUTPUTS_PER_THREAD = 4;

/** ⌈n / 4⌉: the number of 4-wide groups that cover n. */
export function quadCount(n: number): number {
  return Math.ceil(n / OUTPUTS_PER_THREAD);
}

/**
 * x [N, C, H, W] → xp [N, C, H + 2·padHeight, W + 2·padWidth] with zeros
 * around every image (x itself when there is no padding). Into `reuse` when
 * given: an earlier result of the same sizes, whose zeros are still in place
 * (only the inside is written).
 */
export function padInput(x: Float32Array, batchChannels: number, height: number, width: number, padHeight: number, padWidth = padHeight, reuse?: Float32Array): Float32Array {
  if (padHeight === 0 && padWidth === 0) return x;
  const paddedHeight = height + 2 * padHeight;
  const paddedWidth = width + 2 * padWidth;
  const padded = reuse ?? new Float32Array(batchChannels * paddedHeight * paddedWidth);
  copyIntoPadding({ x, padded, height, width, padHeight, padWidth }, 0, batchChannels);
  return padded;
}

/** What {@link copyIntoPadding} copies: planes of x [planes, H, W] into the inside of padded [planes, H + 2·padHeight, W + 2·padWidth]. */
export interface PaddingTask {
  x: Float32Array;
  padded: Float32Array;
  height: number;
  width: number;
  padHeight: number;
  padWidth: number;
}

/**
 * The copy of {@link padInput} for planes [first, end): a plain loop, as rows
 * are short (7–28 values), too short for subarray + set. A RangeLoop
 * (split-loop.ts, helper-loops.ts).
 */
export function copyIntoPadding(task: PaddingTask, first: number, end: number): void {
  const { x, padded, height, width, padHeight, padWidth } = task;
  const paddedHeight = height + 2 * padHeight;
  const paddedWidth = width + 2 * padWidth;
  for (let plane = first; plane < end; plane++) {
    for (let h = 0; h < height; h++) {
      const from = (plane * height + h) * width;
      const to = (plane * paddedHeight + h + padHeight) * paddedWidth + padWidth;
      for (let w = 0; w < width; w++) padded[to + w] = x[from + w] as number;
    }
  }
}

/**
 * The kernels' results are [groups][cells][4]: value `r` of cell `q` in group
 * `g` belongs to row `4·g + r`. The cells are `blocks` blocks of `blockSize`
 * (for a convolution: images × output positions), and the result is wanted
 * as [blocks][rows][blockSize] (NCHW). This writes it so, dropping the
 * padding rows ≥ `rows`:
 *   out[(b·rows + 4·g + r)·blockSize + i] = quads[(g·cells + b·blockSize + i)·4 + r]
 * With blocks = 1 it is a plain [rows][cells] matrix.
 */
export function unpackQuads(quads: Float32Array, rows: number, blocks: number, blockSize: number, out: Float32Array): Float32Array {
  const cells = blocks * blockSize;
  for (let block = 0; block < blocks; block++) {
    for (let row = 0; row < rows; row++) {
      const from = ((row >> 2) * cells + block * blockSize) * 4 + (row & 3);
      const to = (block * rows + row) * blockSize;
      for (let i = 0; i < blockSize; i++) out[to + i] = quads[from + 4 * i] as number;
    }
  }
  return out;
}
