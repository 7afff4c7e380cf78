/**
 * Convolution backward with respect to the weight. w[co, c, kh, kw] multiplied
 * one input pixel for every output position, so
 *   ∂L/∂w[co, c, kh, kw] = Σ_n Σ_oh Σ_ow ∂L/∂y[n, co, oh, ow] · x[n, c, oh·s − p + kh, ow·s − p + kw]
 * a sum of N·OH·OW terms (100,352 for a batch of 128 at 28×28).
 */
import { float32Buffer } from '../buffer-pool.js';
import type { KernelRunner, LoopCall } from './kernel-runner.js';
import { quadCount, unpackQuads } from './layout.js';
import { MAX_LOOP_ITERATIONS_PER_THREAD, shapeKey, type Conv2dShape, type FloatArray } from './shapes.js';

export function conv2dGradWeightReference(x: FloatArray, gradOut: FloatArray, shape: Conv2dShape, out: FloatArray): FloatArray {
  const { batch: N, inChannels: C, height: H, width: W, outChannels: CO, kernelHeight: KH, kernelWidth: KW, stride: S, padding: P, outHeight: OH, outWidth: OW } = shape;
  out.fill(0);
  for (let co = 0; co < CO; co++) {
    for (let c = 0; c < C; c++) {
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          let sum = 0;
          for (let n = 0; n < N; n++) {
            const xBase = (n * C + c) * H * W;
            const gBase = (n * CO + co) * OH * OW;
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * S - P + kh;
              if (ih < 0 || ih >= H) continue;
              for (let ow = 0; ow < OW; ow++) {
                const iw = ow * S - P + kw;
                if (iw < 0 || iw >= W) continue;
                sum += (gradOut[gBase + oh * OW + ow] as number) * (x[xBase + ih * W + iw] as number);
              }
            }
          }
          out[((co * C + c) * KH + kh) * KW + kw] = sum;
        }
      }
    }
  }
  return out;
}

/**
 * The GPU splits the N·OH·OW-term sum into chunks of whole output rows, so no
 * thread loops more than MAX_LOOP_ITERATIONS_PER_THREAD times (measured: Mesa's
 * llvmpipe silently stops longer loops early). The chunks' partial
 * sums are then added on the CPU.
 */
export function gradWeightChunking(shape: Conv2dShape): { rowsPerChunk: number; chunks: number } {
  const rows = shape.batch * shape.outHeight; // one "row" = one (n, oh) pair, OW terms
  const rowsPerChunk = Math.max(1, Math.min(rows, Math.floor(MAX_LOOP_ITERATIONS_PER_THREAD / shape.outWidth)));
  return { rowsPerChunk, chunks: Math.ceil(rows / rowsPerChunk) };
}

/**
 * The gpu.js kernel, generated per shape, on the zero-padded input
 * xp [N, C, H + 2p, W + 2p] (see layout.ts).
 *
 * Thread mapping: output [C·KH·KW, ⌈Co/4⌉, chunks], returning Array(4).
 *   thread.x = j = (c, kh, kw)   one weight position
 *   thread.y = g                 output channels 4g … 4g+3 (clamped to Co − 1;
 *                                the copies are dropped when unpacking)
 *   thread.z = chunk             a run of `rowsPerChunk` (n, oh) rows
 * Per term a thread reads one input value (lane-varying: it depends on j) and
 * four ∂L/∂y values (uniform across the quad); a row's OW terms are unrolled
 * in the source. The result is
 * [chunk][g][j][4]; `sumChunks` adds the chunks and `unpackQuads` lays the
 * sums out as ∂L/∂w [Co, C·KH·KW].
 */
export function conv2dGradWeightKernelSource(shape: Conv2dShape): string {
  const { batch: N, inChannels: C, height: H, width: W, outChannels: CO, kernelHeight: KH, kernelWidth: KW, stride: S, padding: P, outHeight: OH, outWidth: OW } = shape;
  const { rowsPerChunk } = gradWeightChunking(shape);
  const paddedHeight = H + 2 * P;
  const paddedWidth = W + 2 * P;
  const plane = paddedHeight * paddedWidth;
  // The OW terms of a row, written out (rows are short: 7–28 terms, too
  // short for a loop's overhead to pay off).
  const columns: string[] = [];
  for (let ow = 0; ow < OW; ow++) {
    columns.push(`      const v${ow} = xp[xRow + ${ow * S}];
      s0 += gradOut[g0 + ${ow}] * v${ow};
      s1 += gradOut[g1 + ${ow}] * v${ow};
      s2 += gradOut[g2 + ${ow}] * v${ow};
      s3 += gradOut[g3 + ${ow}] * v${ow};`);
  }
  return `function (xp, gradOut) {
  const c = Math.floor(this.thread.x / ${KH * KW});
  const tap = this.thread.x - c * ${KH * KW};
  const kh = Math.floor(tap / ${KW});
  const kw = tap - kh * ${KW};
  // where tap (kh, kw) of channel c sits relative to a receptive field's corner
  const xOffset = c * ${plane} + kh * ${paddedWidth} + kw;
  const co0 = Math.min(this.thread.y * 4, ${CO - 1}) * ${OH * OW};
  const co1 = Math.min(this.thread.y * 4 + 1, ${CO - 1}) * ${OH * OW};
  const co2 = Math.min(this.thread.y * 4 + 2, ${CO - 1}) * ${OH * OW};
  const co3 = Math.min(this.thread.y * 4 + 3, ${CO - 1}) * ${OH * OW};
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let r = 0; r < ${rowsPerChunk}; r++) {
    const row = this.thread.z * ${rowsPerChunk} + r;
    if (row < ${N * OH}) {
      const n = Math.floor(row / ${OH});
      const oh = row - n * ${OH};
      const xRow = xOffset + n * ${C * plane} + oh * ${S * paddedWidth};
      const gRow = n * ${CO * OH * OW} + oh * ${OW};
      const g0 = gRow + co0;
      const g1 = gRow + co1;
      const g2 = gRow + co2;
      const g3 = gRow + co3;
${columns.join('\n')}
    }
  }
  return [s0, s1, s2, s3];
}`;
}

/**
 * The webasm kernel ("channel lanes"), generated per shape, on the zero-padded
 * input xp [N, C, H + 2p, W + 2p] and ∂L/∂y moved channels-last,
 * gt [N, OH, OW, Co] (`toChannelsLast`).
 *
 * Why another formulation: gpu.js's WebAssembly mode runs four consecutive
 * thread.x as one SIMD quad. In the kernel above the lanes are four taps,
 * whose inputs are not adjacent in memory, so each term gathers four
 * scalars (measured ≈7 GFLOP/s on one core against ≈17 for the forward
 * convolution). Here the lanes are four output channels: their ∂L/∂y values
 * are adjacent in gt, one vector load, and each of a thread's four taps
 * reads one input value that is the same in all four lanes. That is the
 * forward kernel's pattern (one vector load and four uniform loads per four
 * multiply-adds).
 *
 * Thread mapping: output [Co, ⌈C·KH·KW/4⌉, N/G], returning Array(4).
 *   thread.x = co       one output channel (the SIMD lane axis)
 *   thread.y = q        taps j = 4q … 4q+3 of (c, kh, kw) (clamped to the
 *                       last tap; the copies are dropped when summing)
 *   thread.z = group    G consecutive images (`imagesPerShare`): their
 *                       G·OH·OW terms, image by image
 * The result [group][q][co][4] holds one group's share of each sum;
 * `addShares` adds them over the groups into ∂L/∂w [Co, C·KH·KW].
 */
export function conv2dGradWeightChannelLanesSource(shape: Conv2dShape): string {
  const { batch: N, inChannels: C, height: H, width: W, outChannels: CO, kernelHeight: KH, kernelWidth: KW, stride: S, padding: P, outHeight: OH, outWidth: OW } = shape;
  const paddedWidth = W + 2 * P;
  const plane = (H + 2 * P) * paddedWidth;
  const taps = C * KH * KW;
  const G = imagesPerShare(N, OH * OW);
  // where each of the thread's four taps sits relative to an image's receptive field corner
  const tapOffsets = [0, 1, 2, 3].map((r) => `  const j${r} = Math.min(this.thread.y * 4 + ${r}, ${taps - 1});
  const c${r} = Math.floor(j${r} / ${KH * KW});
  const kh${r} = Math.floor((j${r} - c${r} * ${KH * KW}) / ${KW});
  const x${r} = c${r} * ${plane} + kh${r} * ${paddedWidth} + j${r} - c${r} * ${KH * KW} - kh${r} * ${KW};`);
  // The OW terms of a row, written out (rows are short: 7–28 terms).
  const columns: string[] = [];
  for (let ow = 0; ow < OW; ow++) {
    columns.push(`      const g${ow} = gt[gRow + ${ow * CO}];
      s0 += xp[x0 + xRow + ${ow * S}] * g${ow};
      s1 += xp[x1 + xRow + ${ow * S}] * g${ow};
      s2 += xp[x2 + xRow + ${ow * S}] * g${ow};
      s3 += xp[x3 + xRow + ${ow * S}] * g${ow};`);
  }
  return `function (xp, gt) {
${tapOffsets.join('\n')}
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let i = 0; i < ${G}; i++) {
    const n = this.thread.z * ${G} + i;
    const xImage = n * ${C * plane};
    const gImage = n * ${OH * OW * CO} + this.thread.x;
    for (let oh = 0; oh < ${OH}; oh++) {
      const xRow = xImage + oh * ${S * paddedWidth};
      const gRow = gImage + oh * ${OW * CO};
${columns.join('\n')}
    }
  }
  return [s0, s1, s2, s3];
}`;
}

/**
 * Images per share of the channel-lanes weight gradient: the largest divisor G
 * of the batch with G·OH·OW ≤ TERMS_PER_SHARE (at least 1). For half a batch
 * of 128: 4 images on 28×28 maps, 16 on 14×14, 64 (all) on 7×7. With one
 * image per thread a 7×7 map gave each thread 49 terms, and every image a
 * share of Co·taps values to write and then add up: measured in a resnet20
 * step (2 threads), the 64→64 7×7 weight gradient took 24 ms a call on the
 * main thread (≈10 GFLOP/s with the share sum); with groups ≤ 784 terms 15.5,
 * ≤ 3,136 terms 12 (and 32→32 on 14×14 from 14 to 11).
 */
export function imagesPerShare(batch: number, positions: number): number {
  let best = 1;
  for (let images = 1; images <= batch; images++) {
    if (batch % images === 0 && images * positions <= TERMS_PER_SHARE) best = images;
  }
  return best;
}

/** Terms a channel-lanes thread sums at most (see imagesPerShare): one 28×28 map. */
export const TERMS_PER_SHARE = 3136;

/** What {@link copyToChannelsLast} reads and writes. */
export interface ChannelsLastTask {
  g: Float32Array;
  out: Float32Array;
  firstImage: number;
  channels: number;
  positions: number;
}

/**
 * Images [first, first + count) of g [N, Co, OH, OW] as [count, OH, OW, Co] into `out`: the loop over
 * the `count` images that does it (the backend runs it; the helper thread its own part's).
 */
export function toChannelsLast(g: Float32Array, first: number, count: number, channels: number, positions: number, out: Float32Array): LoopCall {
  const task: ChannelsLastTask = { g, out, firstImage: first, channels, positions };
  return { loop: copyToChannelsLast, task, count };
}

/**
 * The copy of {@link toChannelsLast} for images [first, end) of the part.
 * Four channels at a time: four rows read in order, four consecutive floats
 * written per position (measured 2× faster than one channel at a time).
 * A RangeLoop (split-loop.ts, helper-loops.ts).
 */
export function copyToChannelsLast(task: ChannelsLastTask, first: number, end: number): void {
  const { g, out, firstImage, channels, positions } = task;
  for (let n = first; n < end; n++) {
    const image = (firstImage + n) * channels * positions;
    const to = n * positions * channels;
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      const from0 = image + c * positions;
      const from1 = from0 + positions;
      const from2 = from1 + positions;
      const from3 = from2 + positions;
      for (let p = 0, at = to + c; p < positions; p++, at += channels) {
        out[at] = g[from0 + p] as number;
        out[at + 1] = g[from1 + p] as number;
        out[at + 2] = g[from2 + p] as number;
        out[at + 3] = g[from3 + p] as number;
      }
    }
    for (; c < channels; c++) {
      const from = image + c * positions;
      for (let p = 0; p < positions; p++) out[to + p * channels + c] = g[from + p] as number;
    }
  }
}

/** Values in one group's share: ⌈taps/4⌉ · Co · 4. */
export function shareSize(outChannels: number, taps: number): number {
  return Math.ceil(taps / 4) * outChannels * 4;
}

/** What {@link addShares} reads and adds into. */
export interface SharesTask {
  shares: Float32Array;
  /** Shares in `shares`: one per group of images. */
  groups: number;
  outChannels: number;
  taps: number;
  dw: Float32Array;
}

/**
 * Adds the channel-lanes kernel's shares [group][q][co][4] (one per group of
 * images) into dw [Co, taps], for the share values j ∈ [first, end), where
 * j = (q·Co + co)·4 + r ↔ dw[co·taps + 4q + r]: dw's values gathered into the
 * shares' layout, the groups added there in order (each sum rounded to
 * float32 as in dw), the sums put back. Each j is summed over the groups in
 * order on its own, so a split over j changes no bit. A RangeLoop
 * (split-loop.ts, helper-loops.ts).
 */
export function addShares(task: SharesTask, first: number, end: number): void {
  const { shares, groups, outChannels, taps, dw } = task;
  const size = Math.ceil(taps / 4) * outChannels * 4;
  const sums = new Float32Array(end - first);
  const place = (j: number): number => {
    const r = j & 3;
    const co = (j >> 2) % outChannels;
    const q = Math.floor((j >> 2) / outChannels);
    return 4 * q + r < taps ? co * taps + 4 * q + r : -1; // -1: a padding value past the last tap
  };
  for (let j = first; j < end; j++) {
    const at = place(j);
    if (at >= 0) sums[j - first] = dw[at] as number;
  }
  for (let group = 0; group < groups; group++) {
    const base = group * size;
    for (let j = first; j < end; j++) sums[j - first] = (sums[j - first] as number) + (shares[base + j] as number);
  }
  for (let j = first; j < end; j++) {
    const at = place(j);
    if (at >= 0) dw[at] = sums[j - first] as number;
  }
}

/** Adds the chunks' partial sums: partials [chunks, Co·C·KH·KW] → out [Co·C·KH·KW]. */
export function sumChunks(partials: Float32Array, chunks: number, out: Float32Array): Float32Array {
  const size = out.length;
  out.fill(0);
  for (let chunk = 0; chunk < chunks; chunk++) {
    const base = chunk * size;
    for (let i = 0; i < size; i++) out[i] = (out[i] as number) + (partials[base + i] as number);
  }
  return out;
}

/**
 * ∂L/∂w on a gpu.js backend, over the padded input the forward pass made. In
 * `channel-lanes` (webasm): ∂L/∂y goes channels-last, the kernel makes one
 * share per group of images with output channels in the SIMD lanes, and the
 * shares are added (`addShares`). In `chunked` (WebGL): the kernel sums chunks of
 * output rows, kept under software GL's loop cap, and the chunks are added
 * (`sumChunks`). With the helper thread each half batch's sum is added in.
 */
export function conv2dGradWeightOnGpu(runner: KernelRunner, x: Float32Array, gradOut: Float32Array, shape: Conv2dShape, layout: 'channel-lanes' | 'chunked'): Float32Array {
  const { inChannels: C, height: H, width: W, outChannels: CO, kernelHeight: KH, kernelWidth: KW, padding: P, outHeight: OH, outWidth: OW } = shape;
  const taps = C * KH * KW;
  const xp = runner.padForGradWeight(x, shape);
  const xImage = C * (H + 2 * P) * (W + 2 * P);
  const gImage = CO * OH * OW;
  const dw = float32Buffer(CO * taps);
  if (layout === 'channel-lanes') {
    runner.inParts('conv2dGradWeight', shape, (part, first, allocate) => {
      const key = shapeKey('conv2dGradWeightLanes', part);
      const channelsLast = allocate(key, 1, part.batch * OH * OW * CO);
      const groups = part.batch / imagesPerShare(part.batch, OH * OW);
      return {
        job: {
          key,
          source: () => conv2dGradWeightChannelLanesSource(part),
          output: [CO, quadCount(taps), groups],
          args: [xp.subarray(first * xImage, (first + part.batch) * xImage), channelsLast],
        },
        prepare: toChannelsLast(gradOut, first, part.batch, CO, OH * OW, channelsLast),
        // the two parts' shares are added one part after the other (the same order on every run),
        // each split over its share values when it is in shared memory
        finish: (shares) => runner.splitLoop(addShares, { shares, groups, outChannels: CO, taps, dw }, shareSize(CO, taps), groups * shareSize(CO, taps)),
      };
    });
    return dw;
  }
  runner.inParts('conv2dGradWeight', shape, (part, first) => {
    const { chunks } = gradWeightChunking(part);
    return {
      job: {
        key: shapeKey('conv2dGradWeight', part),
        source: () => conv2dGradWeightKernelSource(part),
        output: [taps, quadCount(CO), chunks],
        args: [xp.subarray(first * xImage, (first + part.batch) * xImage), gradOut.subarray(first * gImage, (first + part.batch) * gImage)],
      },
      finish: (partials) => {
        // add the chunks, lay out as [Co, C·KH·KW], add into the batch's sum
        const quads = chunks === 1 ? partials : sumChunks(partials, chunks, new Float32Array(partials.length / chunks));
        const sums = unpackQuads(quads, CO, 1, taps, new Float32Array(CO * taps));
        for (let i = 0; i < dw.length; i++) dw[i] = (dw[i] as number) + (sums[i] as number);
      },
    };
  });
  return dw;
}
