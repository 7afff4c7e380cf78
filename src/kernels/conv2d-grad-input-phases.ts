/**
 * The input gradient of a stride-2 convolution as one gather kernel in the
 * image-lanes layout (conv2d-image-lanes.ts), one thread per 2×2 block of
 * ∂L/∂x: its four values are the four "phases" (row and column even or odd).
 * It replaces the GEMM and scatter of conv2d-grad-input.ts on webasm.
 *
 * Start from the sum in conv2d-grad-input.ts:
 *   ∂L/∂x[n, c, ih, iw] = Σ_co Σ_kh Σ_kw ∂L/∂y[n, co, oh, ow] · w[co, c, kh, kw]
 *   with oh = (ih + p − kh) / 2 and ow = (iw + p − kw) / 2 whole numbers inside the output.
 * Write ih = 2a + ph (ph ∈ {0, 1}, the row's phase). (2a + ph + p − kh) is even
 * exactly for the taps kh = ph + p − 2·dh, dh a whole number, and for those
 * oh = a + dh. Likewise iw = 2b + pw, kw = pw + p − 2·dw, ow = b + dw. So
 *   ∂L/∂x[n, c, 2a + ph, 2b + pw] = Σ_co Σ_dh Σ_dw ∂L/∂y[n, co, a + dh, b + dw] · w[co, c, ph + p − 2·dh, pw + p − 2·dw]
 * over the dh, dw whose taps lie inside the kernel (zero where a + dh or
 * b + dw falls outside ∂L/∂y, which the padding of its lanes copy provides).
 * Each tap (kh, kw) belongs to exactly one phase, so the four phases do the
 * multiply-adds of the scatter form between them; and the four values of a
 * block read ∂L/∂y at the same few places (a + dh, b + dw), so a thread
 * reads each of them once (one vector load: four images) and uses it for
 * every phase whose taps need it.
 *
 * Why: the GEMM form's result has C·KH·KW values per output position, which
 * a scatter then adds into place (in plain JavaScript, a read-modify-write
 * per value), and its 7×7 rows are not a multiple of 4 wide, so its kernel
 * runs row by row. Measured on a `small-cnn` training step (batch 128, two
 * threads): the two stride-2 input gradients took ≈27 ms of the main
 * thread's ≈115 as GEMM + scatter; in this form the step went from
 * 77.5–77.8 ms to 72.4–73.8 (best of 15, alternating runs), before the lanes
 * channel stride (conv2d-image-lanes.ts) took it further.
 *
 * Order of the sums: each tap's products are summed over co, and a phase
 * adds its taps' sums in (kh, kw) order. The GEMM form also sums over co
 * first, but its scatter adds the taps in the order its groups of four lie,
 * so the two agree to float32 rounding, not bit for bit (test/kernels.test.ts
 * checks both against the float64 reference).
 */
import { float32BufferToOverwrite } from '../buffer-pool.js';
import type { KernelRunner, LoopCall } from './kernel-runner.js';
import { laneBatch, laneChannelStride, toImageLanes } from './conv2d-image-lanes.js';
import { shapeKey, type Conv2dShape } from './shapes.js';

/** One tap of a phase along one axis: which read (offset dh − first) and which kernel index kh. */
interface AxisTap {
  read: number;
  tap: number;
}

/** The two phases of one axis (rows or columns) for a kernel of `kernel` taps, padding `padding`, stride 2. */
export interface AxisPhases {
  /** The smallest dh of either phase: thread a reads ∂L/∂y rows a + first … a + first + reads − 1. */
  first: number;
  reads: number;
  /** taps[ph]: phase ph's taps, dh ascending. */
  taps: [AxisTap[], AxisTap[]];
  /** Blocks along the axis: ⌈size / 2⌉ (with an odd size the last block's phase 1 is past the edge). */
  blocks: number;
  /** Zeros added on both sides of ∂L/∂y so that every read lies inside. */
  pad: number;
}

/** {@link AxisPhases} of an axis of `size` inputs and `outSize` outputs. */
export function axisPhases(size: number, outSize: number, kernel: number, padding: number): AxisPhases {
  const dhOf = (phase: number, tap: number): number => (phase + padding - tap) / 2;
  const taps: [AxisTap[], AxisTap[]] = [[], []];
  let first = Infinity;
  let last = -Infinity;
  for (let tap = kernel - 1; tap >= 0; tap--) {
    const phase = (tap + padding) % 2; // the phase whose dh is whole for this tap
    const dh = dhOf(phase, tap);
    first = Math.min(first, dh);
    last = Math.max(last, dh);
    taps[phase]!.push({ read: dh, tap });
  }
  for (const phaseTaps of taps) for (const entry of phaseTaps) entry.read -= first;
  const blocks = Math.ceil(size / 2);
  const pad = Math.max(0, -first, blocks - 1 + last - (outSize - 1));
  return { first, reads: last - first + 1, taps, blocks, pad };
}

/**
 * Whether {@link conv2dGradInputInPhases} computes this shape: stride 2 and a
 * kernel of at least 2 taps each way (so every phase has a tap; ResNet's 1×1
 * stride-2 shortcut keeps the GEMM form).
 */
export function phasesApply(shape: Conv2dShape): boolean {
  return shape.stride === 2 && shape.kernelHeight >= 2 && shape.kernelWidth >= 2;
}

/**
 * The kernel, over gl = ∂L/∂y in image lanes [Co][OH + 2·padRows][OW + 2·padCols][B]
 * and wp [C][Co][KH][KW] (`packPhaseWeights`):
 *   ∂L/∂x[n, c, 2a + ph, 2b + pw] for the four phases (ph, pw) = (0,0), (0,1), (1,0), (1,1).
 *
 * Each tap (kh, kw) has its own sum over co, and a phase adds its taps'
 * sums in (kh, kw) order at the end. A thread's KH·KW sums are independent
 * chains of adds, which the CPU overlaps. (Summing each phase's products per
 * co in pairs instead ran a `small-cnn` step ≈4% faster, but the other
 * rounding flipped one ReLU, whose input lay within rounding of 0, in the
 * second step of test/pytorch-parity.test.ts on two threads, and the
 * parameters after three steps then differed from PyTorch's by up to 7e-3.)
 *
 * Thread mapping: output [B, blocksDown·blocksAcross, C], returning Array(4).
 *   thread.x = n          the image (the SIMD lane axis: every ∂L/∂y read is one vector load)
 *   thread.y = a·blocksAcross + b   one 2×2 block of ∂L/∂x
 *   thread.z = c          the input channel
 */
export function conv2dGradInputPhasesSource(shape: Conv2dShape): string {
  const { batch, outChannels: CO, kernelHeight: KH, kernelWidth: KW } = shape;
  const rows = axisPhases(shape.height, shape.outHeight, KH, shape.padding);
  const cols = axisPhases(shape.width, shape.outWidth, KW, shape.padding);
  const B = laneBatch(batch);
  const paddedWidth = shape.outWidth + 2 * cols.pad;
  const plane = laneChannelStride(shape.outHeight + 2 * rows.pad, paddedWidth, B);
  const origin = ((rows.first + rows.pad) * paddedWidth + cols.first + cols.pad) * B;
  const readOf = (phases: AxisPhases, tap: number): number => phases.taps[(tap + shape.padding) % 2]!.find((entry) => entry.tap === tap)!.read;
  const sums: string[] = [];
  const reads: string[] = [];
  const products: string[] = [];
  for (let r = 0; r < rows.reads; r++) {
    for (let s = 0; s < cols.reads; s++) reads.push(`    const g${r}_${s} = gl[gc + ${(r * paddedWidth + s) * B}];`);
  }
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      sums.push(`  let t${kh}_${kw} = 0;`);
      products.push(`    t${kh}_${kw} += wp[wc + ${kh * KW + kw}] * g${readOf(rows, kh)}_${readOf(cols, kw)};`);
    }
  }
  // phase (ph, pw): its taps' sums, (kh, kw) ascending
  const phaseSums: string[] = [];
  for (let ph = 0; ph < 2; ph++) {
    for (let pw = 0; pw < 2; pw++) {
      const taps: string[] = [];
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) if ((kh + shape.padding) % 2 === ph && (kw + shape.padding) % 2 === pw) taps.push(`t${kh}_${kw}`);
      }
      phaseSums.push(taps.join(' + '));
    }
  }
  return `function (gl, wp) {
  const a = Math.floor(this.thread.y / ${cols.blocks});
  const b = this.thread.y - a * ${cols.blocks};
  // ∂L/∂y at (a + dh, b + dw) for the smallest dh, dw, for image thread.x
  const corner = (a * ${paddedWidth} + b) * ${B} + ${origin} + this.thread.x;
  const wBase = this.thread.z * ${CO * KH * KW};
${sums.join('\n')}
  for (let co = 0; co < ${CO}; co++) {
    const gc = corner + co * ${plane};
    const wc = wBase + co * ${KH * KW};
${reads.join('\n')}
${products.join('\n')}
  }
  return [${phaseSums.join(', ')}];
}`;
}

/** w [Co, C, KH, KW] → wp [C][Co][KH][KW]: the kernel reads one input channel's weights for every co in a row. */
export function packPhaseWeights(w: Float32Array, shape: Conv2dShape): Float32Array {
  const { inChannels: C, outChannels: CO, kernelHeight: KH, kernelWidth: KW } = shape;
  const taps = KH * KW;
  const packed = new Float32Array(C * CO * taps);
  for (let c = 0; c < C; c++) {
    for (let co = 0; co < CO; co++) packed.set(w.subarray((co * C + c) * taps, (co * C + c + 1) * taps), (c * CO + co) * taps);
  }
  return packed;
}

/** Where {@link copyFromPhaseLanes} reads the kernel's result and which images of ∂L/∂x it writes. */
export interface FromPhaseLanesTask {
  /** [C][blocksDown·blocksAcross][B][4 phases] */
  quads: Float32Array;
  /** ∂L/∂x [N, C, H, W] */
  out: Float32Array;
  channels: number;
  height: number;
  width: number;
  firstImage: number;
  count: number;
}

/**
 * The kernel's result into images [firstImage, firstImage + count) of
 * ∂L/∂x, for channels [first, end): per image and block row a, the block's
 * four values go to rows 2a and 2a + 1, columns 2b and 2b + 1 (those past
 * an odd edge dropped). A RangeLoop (split-loop.ts, helper-loops.ts).
 */
export function copyFromPhaseLanes(task: FromPhaseLanesTask, first: number, end: number): void {
  const { quads, out, channels, height: H, width: W, firstImage, count } = task;
  const B = 4 * Math.ceil(count / 4); // laneBatch(count)
  const blocksDown = Math.ceil(H / 2);
  const blocksAcross = Math.ceil(W / 2);
  const step = 4 * B;
  const fullAcross = W >> 1; // blocks with both columns inside
  for (let c = first; c < end; c++) {
    for (let n = 0; n < count; n++) {
      const image = ((firstImage + n) * channels + c) * H * W;
      for (let a = 0; a < blocksDown; a++) {
        const even = image + 2 * a * W;
        const odd = even + W;
        const hasOdd = 2 * a + 1 < H;
        let at = ((c * blocksDown + a) * blocksAcross * B + n) * 4;
        for (let b = 0; b < fullAcross; b++, at += step) {
          out[even + 2 * b] = quads[at] as number;
          out[even + 2 * b + 1] = quads[at + 1] as number;
          if (!hasOdd) continue;
          out[odd + 2 * b] = quads[at + 2] as number;
          out[odd + 2 * b + 1] = quads[at + 3] as number;
        }
        if (fullAcross === blocksAcross) continue;
        // odd width: the last block's column 2b is the last column
        out[even + 2 * fullAcross] = quads[at] as number;
        if (hasOdd) out[odd + 2 * fullAcross] = quads[at + 2] as number;
      }
    }
  }
}

/** The kernel's result [C][blocks][B][4] into images [first, first + count) of out: the loop over channels that does it. */
export function fromPhaseLanes(quads: Float32Array, shape: Conv2dShape, first: number, count: number, out: Float32Array): LoopCall {
  const task: FromPhaseLanesTask = { quads, out, channels: shape.inChannels, height: shape.height, width: shape.width, firstImage: first, count };
  return { loop: copyFromPhaseLanes, task, count: shape.inChannels };
}

/** ∂L/∂x of a stride-2 convolution ({@link phasesApply}): ∂L/∂y into lanes, the kernel, the blocks back into NCHW. */
export function conv2dGradInputInPhases(runner: KernelRunner, gradOut: Float32Array, w: Float32Array, shape: Conv2dShape): Float32Array {
  const { inChannels: C, height: H, width: W, outChannels: CO, kernelHeight: KH, kernelWidth: KW, outHeight: OH, outWidth: OW } = shape;
  const rows = axisPhases(H, OH, KH, shape.padding);
  const cols = axisPhases(W, OW, KW, shape.padding);
  const wp = packPhaseWeights(w, shape);
  const dx = float32BufferToOverwrite(shape.batch * C * H * W); // every image written by fromPhaseLanes
  runner.inParts('conv2dGradInput', shape, (part, first, allocate) => {
    const key = shapeKey('conv2dGradInputPhases', part);
    const gl = toImageLanes(gradOut, first, part.batch, CO, OH, OW, rows.pad, cols.pad, (length) => allocate(key, 0, length));
    return {
      job: {
        key,
        source: () => conv2dGradInputPhasesSource(part),
        output: [laneBatch(part.batch), rows.blocks * cols.blocks, C],
        args: [gl.out, wp],
      },
      prepare: gl.fill,
      finishLoop: (quads) => fromPhaseLanes(quads, part, first, part.batch, dx),
    };
  });
  return dx;
}
