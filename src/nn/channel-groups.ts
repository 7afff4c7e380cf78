/**
 * Normalization layers compute statistics over groups of values: BatchNorm and
 * RobustNorm over each channel (all of N, H, W), LayerNorm over each sample
 * (all of C, H, W). These helpers describe where a channel's values lie in the flat NCHW
 * buffer, and copy a group out to (and back from) a contiguous float64 array,
 * so the math in the layer files can be written over a plain list x₁ … x_M.
 */
import { formatShape, type Shape } from '../tensor/shape.js';

/** [N, C, H, W] (or [N, C], read as H = W = 1) → its four sizes. */
export function nchw(shape: Shape, layer: string): [number, number, number, number] {
  if (shape.length === 4) return shape as unknown as [number, number, number, number];
  if (shape.length === 2) return [shape[0] as number, shape[1] as number, 1, 1];
  throw new Error(`${layer}: expects input [N, C, H, W] or [N, C], got ${formatShape(shape)}`);
}

/**
 * Channel c's M = N·H·W values, taken in (n, h, w) order, are N runs of H·W
 * contiguous values: run n starts at flat index (n·C + c)·H·W. Described by
 * these numbers rather than a table of M·C offsets, so that a norm layer
 * allocates nothing the size of its input just to find its values.
 */
export interface ChannelGroups {
  channels: number;
  perChannel: number;
  /** N runs per channel ... */
  runs: number;
  /** ... of H·W values each ... */
  runLength: number;
  /** ... starting C·H·W apart. */
  runStride: number;
}

/** Where channel c's values lie in an NCHW buffer of `shape` (see {@link ChannelGroups}). */
export function channelGroups(shape: Shape, layer: string): ChannelGroups {
  const [N, C, H, W] = nchw(shape, layer);
  const plane = H * W;
  return { channels: C, perChannel: N * plane, runs: N, runLength: plane, runStride: C * plane };
}

/** Copies channel `group`'s values out of `data` (k-th value = offset k in the order above). */
export function gather(data: ArrayLike<number>, groups: ChannelGroups, group: number, out: Float64Array): Float64Array {
  const { runs, runLength, runStride } = groups;
  let k = 0;
  for (let run = 0; run < runs; run++) {
    const start = run * runStride + group * runLength;
    for (let i = 0; i < runLength; i++) out[k++] = data[start + i] as number;
  }
  return out;
}

/** Writes a channel's values back to their places in `data`. */
export function scatter(values: Float64Array, groups: ChannelGroups, group: number, data: { [index: number]: number }): void {
  const { runs, runLength, runStride } = groups;
  let k = 0;
  for (let run = 0; run < runs; run++) {
    const start = run * runStride + group * runLength;
    for (let i = 0; i < runLength; i++) data[start + i] = values[k++] as number;
  }
}
