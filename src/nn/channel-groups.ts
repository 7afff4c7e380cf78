/**
 * Normalization layers compute statistics over groups of values: BatchNorm and
 * RobustNorm over each channel (all of N, H, W), LayerNorm over each sample
 * (all of C, H, W). These helpers list a group's offsets in the flat NCHW
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
 * offsets[c·M + k] = flat index of the k-th value of channel c, where the
 * channel's M = N·H·W values are taken in (n, h, w) order.
 */
export function channelOffsets(shape: Shape, layer: string): { channels: number; perChannel: number; offsets: Int32Array } {
  const [N, C, H, W] = nchw(shape, layer);
  const plane = H * W;
  const perChannel = N * plane;
  const offsets = new Int32Array(C * perChannel);
  for (let c = 0; c < C; c++) {
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < plane; i++) offsets[c * perChannel + n * plane + i] = (n * C + c) * plane + i;
    }
  }
  return { channels: C, perChannel, offsets };
}

/** Copies group `group` (of `size` values listed in `offsets`) out of `data`. */
export function gather(data: ArrayLike<number>, offsets: Int32Array, group: number, size: number, out: Float64Array): Float64Array {
  const base = group * size;
  for (let k = 0; k < size; k++) out[k] = data[offsets[base + k] as number] as number;
  return out;
}

/** Writes a group's values back to their places in `data`. */
export function scatter(values: Float64Array, offsets: Int32Array, group: number, size: number, data: { [index: number]: number }): void {
  const base = group * size;
  for (let k = 0; k < size; k++) data[offsets[base + k] as number] = values[k] as number;
}
