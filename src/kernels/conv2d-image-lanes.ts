/**
 * Convolution in the "image lanes" layout, used by the webasm backend for
 * the forward pass (and the stride-1 input gradient, a forward convolution
 * of ∂L/∂y) on batches of 8 or more images.
 *
 * Why: gpu.js's WebAssembly mode runs four consecutive `thread.x` cells as
 * one SIMD quad, and a read is one vector load only when its four lanes read
 * four consecutive floats (see wasm-codegen.ts). In NCHW with thread.x over
 * output positions that holds only at stride 1 on rows that are a multiple
 * of 4 wide; stride-2 convolutions, 14×14 and 7×7 maps and the weight
 * gradient (lanes over taps) gathered four scalars per read. Here the image
 * index is the innermost (fastest) axis of every activation, and thread.x
 * walks images, so lane k of a quad always reads image n₀ + k: one vector
 * load, at any stride, size or padding.
 *
 *   xl [C][H + 2p][W + 2p][B]   an input, zero-padded, images innermost
 *
 * with channel c at c · `laneChannelStride` (see there: a few unused floats
 * between channels when a channel's size is a multiple of 4 KiB).
 *
 * B is the part's batch rounded up to a multiple of 4 (the extra images are
 * zeros and their results are dropped), so every quad is four real lanes.
 * The backend transposes NCHW into this layout in the pass that used to pad
 * (`toImageLanes`) and back in the pass that used to unpack (`fromImageLanes`).
 * WebGL keeps the NCHW kernels: it has no SIMD lanes to feed. The weight
 * gradient puts output channels in the lanes instead (conv2d-grad-weight.ts);
 * the stride-2 input gradient reads ∂L/∂y in this layout with a kernel of its
 * own (conv2d-grad-input-phases.ts).
 */
import { float32BufferToOverwrite } from '../buffer-pool.js';
import { packForwardWeights } from './conv2d-forward.js';
import { flipWeights, type transposedConvShape } from './conv2d-grad-input.js';
import type { KernelRunner, LoopCall } from './kernel-runner.js';
import { quadCount } from './layout.js';
import { shapeKey, type Conv2dShape } from './shapes.js';

/** Images per part rounded up to whole quads. */
export function laneBatch(batch: number): number {
  return 4 * quadCount(batch);
}

/**
 * Floats from one channel of a lanes array to the next: the channel's
 * paddedHeight · paddedWidth · B values, plus 16 (one cache line) when that
 * is a multiple of 1,024 floats (4 KiB). The kernels read the same place of
 * every channel in turn; at a stride that is a multiple of 4 KiB all those
 * reads fall into one set of the L1 cache and evict each other. Measured on
 * the stride-2 input gradient of 16→32 on 28×28 (∂L/∂y 14×14 padded to
 * 16×16, 64 images: 64 KiB a channel), two threads: 15.2 GFLOP/s, and
 * 22.3 with one more row and column of padding (a channel of 81 KiB).
 */
export function laneChannelStride(paddedHeight: number, paddedWidth: number, lanes: number): number {
  const plane = paddedHeight * paddedWidth * lanes;
  return plane % 1024 === 0 ? plane + 16 : plane;
}

/** Where {@link copyToImageLanes} reads images [firstImage, firstImage + count) of x [N, C, H, W] and writes them. */
export interface ToImageLanesTask {
  x: Float32Array;
  /** [C][H + 2·padH][W + 2·padW][B], B = laneBatch(count), zero-filled; channel c at c · laneChannelStride. */
  out: Float32Array;
  firstImage: number;
  count: number;
  channels: number;
  height: number;
  width: number;
  padH: number;
  padW: number;
}

/**
 * Images [first, first + count) of a [N, C, H, W] array into [C][H + 2·padH][W + 2·padW][B],
 * B = laneBatch(count), with zeros for the padding and for the images ≥ count,
 * into a fresh (zero-filled) array from `allocate`. `fill` is the copy, as a
 * loop over the channels that the backend runs (on the helper thread, for its
 * part of the batch, when the arrays are in shared memory).
 */
export function toImageLanes(
  x: Float32Array, first: number, count: number, channels: number, height: number, width: number, padH: number, padW: number,
  allocate: (length: number) => Float32Array = (length) => new Float32Array(length),
): { out: Float32Array; fill: LoopCall } {
  const out = allocate(channels * laneChannelStride(height + 2 * padH, width + 2 * padW, laneBatch(count))); // zero-filled
  const task: ToImageLanesTask = { x, out, firstImage: first, count, channels, height, width, padH, padW };
  return { out, fill: { loop: copyToImageLanes, task, count: channels } };
}

/**
 * The copy of {@link toImageLanes} for channels [first, end). Four images at
 * a time: one row of each read in order, and per position four consecutive
 * floats written (measured 2.2× faster than one image at a time in the lanes:
 * B reads in flight, one float written from each). A RangeLoop
 * (split-loop.ts, helper-loops.ts).
 */
export function copyToImageLanes(task: ToImageLanesTask, first: number, end: number): void {
  const { x, out, firstImage, count, channels, height, width, padH, padW } = task;
  const B = 4 * Math.ceil(count / 4); // laneBatch(count)
  const paddedHeight = height + 2 * padH;
  const paddedWidth = width + 2 * padW;
  const lanesPlane = paddedHeight * paddedWidth * B;
  const channelStride = lanesPlane % 1024 === 0 ? lanesPlane + 16 : lanesPlane; // laneChannelStride
  const plane = height * width;
  const image = channels * plane;
  for (let c = first; c < end; c++) {
    for (let quad = 0; quad < count; quad += 4) {
      const images = Math.min(4, count - quad);
      for (let h = 0; h < height; h++) {
        const from = ((firstImage + quad) * channels + c) * plane + h * width;
        const to = c * channelStride + ((h + padH) * paddedWidth + padW) * B + quad;
        if (images === 4) {
          const from1 = from + image;
          const from2 = from1 + image;
          const from3 = from2 + image;
          for (let w = 0, at = to; w < width; w++, at += B) {
            out[at] = x[from + w] as number;
            out[at + 1] = x[from1 + w] as number;
            out[at + 2] = x[from2 + w] as number;
            out[at + 3] = x[from3 + w] as number;
          }
        } else {
          for (let w = 0; w < width; w++) {
            for (let i = 0; i < images; i++) out[to + w * B + i] = x[from + i * image + w] as number;
          }
        }
      }
    }
  }
}

/** Where {@link copyFromImageLanes} reads a forward-style kernel's result and which images of `out` it writes. */
export interface FromImageLanesTask {
  /** [⌈rows/4⌉][positions][B][4] */
  quads: Float32Array;
  /** [N, rows, positions] */
  out: Float32Array;
  rows: number;
  positions: number;
  firstImage: number;
  count: number;
}

/**
 * A forward-style kernel's result [⌈rows/4⌉][positions][B][4] (value r of a
 * thread belongs to row 4g + r) into images [first, first + count) of
 * out [N, rows, positions], dropping padding rows and images: the loop over
 * the ⌈rows/4⌉ groups that does it (run by the backend, on the helper thread
 * for its own part when the arrays are in shared memory).
 */
export function fromImageLanes(quads: Float32Array, rows: number, positions: number, first: number, count: number, out: Float32Array): LoopCall {
  const task: FromImageLanesTask = { quads, out, rows, positions, firstImage: first, count };
  return { loop: copyFromImageLanes, task, count: quadCount(rows) };
}

/**
 * The copy of {@link fromImageLanes} for row groups [first, end). One image at
 * a time, walking its positions: four rows of `out` written in order, from
 * reads a constant stride (4·B) apart, which the hardware prefetches
 * (measured 2.6× faster than reading `quads` in order, whose writes go to
 * 4·B rows at once). A RangeLoop (split-loop.ts, helper-loops.ts).
 */
export function copyFromImageLanes(task: FromImageLanesTask, first: number, end: number): void {
  const { quads, out, rows, positions, firstImage, count } = task;
  const B = 4 * Math.ceil(count / 4); // laneBatch(count)
  const step = 4 * B;
  for (let group = first; group < end; group++) {
    const lanes = Math.min(4, rows - 4 * group);
    for (let n = 0; n < count; n++) {
      const to = ((firstImage + n) * rows + 4 * group) * positions;
      const from = (group * positions * B + n) * 4;
      if (lanes < 4) {
        for (let p = 0, at = from; p < positions; p++, at += step) {
          for (let r = 0; r < lanes; r++) out[to + r * positions + p] = quads[at + r] as number;
        }
        continue;
      }
      const to1 = to + positions;
      const to2 = to1 + positions;
      const to3 = to2 + positions;
      for (let p = 0, at = from; p < positions; p++, at += step) {
        out[to + p] = quads[at] as number;
        out[to1 + p] = quads[at + 1] as number;
        out[to2 + p] = quads[at + 2] as number;
        out[to3 + p] = quads[at + 3] as number;
      }
    }
  }
}

/**
 * Forward convolution on xl (kernel input sizes: `paddedHeight` × `paddedWidth`):
 *   y[n, co, oh, ow] = Σ_c Σ_kh Σ_kw xl[c, oh·s + kh, ow·s + kw, n] · w[co, c, kh, kw]
 *
 * Thread mapping: output [B, OH·OW, ⌈Co/4⌉], returning Array(4).
 *   thread.x = n          the image (the SIMD lane axis)
 *   thread.y = oh·OW + ow one output position
 *   thread.z = g          output channels 4g … 4g+3
 * Weights come as wq [⌈Co/4⌉][C·KH·KW][4] (`packForwardWeights`): per tap one
 * vector load of four images' inputs and four uniform weights.
 */
export function conv2dForwardImageLanesSource(shape: Conv2dShape, paddedHeight: number, paddedWidth: number): string {
  const { batch, inChannels: C, kernelHeight: KH, kernelWidth: KW, stride: S, outWidth: OW } = shape;
  const B = laneBatch(batch);
  const taps: string[] = [];
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const t = kh * KW + kw;
      taps.push(`    const v${t} = xl[xc + ${(kh * paddedWidth + kw) * B}];
    y0 += wq[wc + ${4 * t}] * v${t};
    y1 += wq[wc + ${4 * t + 1}] * v${t};
    y2 += wq[wc + ${4 * t + 2}] * v${t};
    y3 += wq[wc + ${4 * t + 3}] * v${t};`);
    }
  }
  return `function (xl, wq) {
  const oh = Math.floor(this.thread.y / ${OW});
  const ow = this.thread.y - oh * ${OW};
  // tap (0, 0) of this output's receptive field, for image thread.x
  const corner = (oh * ${S * paddedWidth} + ow * ${S}) * ${B} + this.thread.x;
  const wBase = this.thread.z * ${C * KH * KW * 4};
  let y0 = 0;
  let y1 = 0;
  let y2 = 0;
  let y3 = 0;
  for (let c = 0; c < ${C}; c++) {
    const xc = corner + c * ${laneChannelStride(paddedHeight, paddedWidth, B)};
    const wc = wBase + c * ${KH * KW * 4};
${taps.join('\n')}
  }
  return [y0, y1, y2, y3];
}`;
}

/** The forward convolution in this layout: x into xl (in the pass that used to pad), the kernel, the quads back into NCHW y. */
export function conv2dForwardInImageLanes(runner: KernelRunner, x: Float32Array, w: Float32Array, shape: Conv2dShape): Float32Array {
  const { inChannels: C, height: H, width: W, outChannels: CO, padding: P, outHeight: OH, outWidth: OW } = shape;
  const wq = packForwardWeights(w, shape);
  const y = float32BufferToOverwrite(shape.batch * CO * OH * OW); // every image written by fromImageLanes
  runner.inParts('conv2dForward', shape, (part, first, allocate) => {
    const key = shapeKey('conv2dForwardLanes', part);
    const xl = toImageLanes(x, first, part.batch, C, H, W, P, P, (length) => allocate(key, 0, length));
    return {
      job: {
        key,
        source: () => conv2dForwardImageLanesSource(part, H + 2 * P, W + 2 * P),
        output: [laneBatch(part.batch), OH * OW, quadCount(CO)],
        args: [xl.out, wq],
      },
      prepare: xl.fill,
      finishLoop: (quads) => fromImageLanes(quads, CO, OH * OW, first, part.batch, y),
    };
  });
  return y;
}

/**
 * ∂L/∂x at stride 1 in this layout: the forward kernel on the padded ∂L/∂y
 * with the flipped kernel (the formulation in conv2d-grad-input.ts).
 */
export function conv2dGradInputInImageLanes(
  runner: KernelRunner, gradOut: Float32Array, w: Float32Array, shape: Conv2dShape, transposed: NonNullable<ReturnType<typeof transposedConvShape>>,
): Float32Array {
  const { inChannels: C, height: H, width: W, outChannels: CO, outHeight: OH, outWidth: OW } = shape;
  const dx = float32BufferToOverwrite(shape.batch * C * H * W); // every image written by fromImageLanes
  const { shape: t, padHeight, padWidth } = transposed;
  const wq = packForwardWeights(flipWeights(w, shape), t);
  runner.inParts('conv2dGradInput', shape, (part, first, allocate) => {
    const key = shapeKey('conv2dGradInputLanes', part);
    const gl = toImageLanes(gradOut, first, part.batch, CO, OH, OW, padHeight, padWidth, (length) => allocate(key, 0, length));
    return {
      job: {
        key,
        source: () => conv2dForwardImageLanesSource({ ...t, batch: part.batch }, OH + 2 * padHeight, OW + 2 * padWidth),
        output: [laneBatch(part.batch), H * W, quadCount(C)],
        args: [gl.out, wq],
      },
      prepare: gl.fill,
      finishLoop: (quads) => fromImageLanes(quads, C, H * W, first, part.batch, dx),
    };
  });
  return dx;
}
