/**
 * Convolution backward with respect to the input. Every x[n, c, ih, iw] was read
 * by each output y[n, co, oh, ow] with ih = oh·s − p + kh and iw = ow·s − p + kw,
 * so its gradient collects those outputs' gradients times the weight that read it:
 *   ∂L/∂x[n, c, ih, iw] = Σ_co Σ_kh Σ_kw ∂L/∂y[n, co, oh, ow] · w[co, c, kh, kw]
 *   for oh = (ih + p − kh) / s and ow = (iw + p − kw) / s, when these are whole
 *   numbers inside the output.
 */
import { float32Buffer } from '../buffer-pool.js';
import { conv2dForwardKernelSource, packForwardWeights } from './conv2d-forward.js';
import type { KernelRunner, LoopCall } from './kernel-runner.js';
import { padInput, quadCount, unpackQuads } from './layout.js';
import { shapeKey, type Conv2dShape, type FloatArray } from './shapes.js';

export function conv2dGradInputReference(gradOut: FloatArray, w: FloatArray, shape: Conv2dShape, out: FloatArray): FloatArray {
  const { batch: N, inChannels: C, height: H, width: W, outChannels: CO, kernelHeight: KH, kernelWidth: KW, stride: S, padding: P, outHeight: OH, outWidth: OW } = shape;
  out.fill(0);
  // Scatter form (the transpose of the forward loops): each ∂L/∂y adds into the inputs it read.
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < CO; co++) {
      const gBase = (n * CO + co) * OH * OW;
      for (let c = 0; c < C; c++) {
        const xBase = (n * C + c) * H * W;
        const wBase = (co * C + c) * KH * KW;
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            const weight = w[wBase + kh * KW + kw] as number;
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * S - P + kh;
              if (ih < 0 || ih >= H) continue;
              for (let ow = 0; ow < OW; ow++) {
                const iw = ow * S - P + kw;
                if (iw < 0 || iw >= W) continue;
                out[xBase + ih * W + iw] = (out[xBase + ih * W + iw] as number) + weight * (gradOut[gBase + oh * OW + ow] as number);
              }
            }
          }
        }
      }
    }
  }
  return out;
}

/**
 * With stride 1 the gradient is itself a convolution, so the gpu.js backend
 * runs the forward kernel on it (no intermediate, no scatter). Substituting
 * kh' = KH − 1 − kh in the sum above:
 *   ∂L/∂x[n, c, ih, iw] = Σ_co Σ_kh' Σ_kw' gp[n, co, ih + kh', iw + kw'] · w'[c, co, kh', kw']
 * where w'[c, co, kh', kw'] = w[co, c, KH − 1 − kh', KW − 1 − kw'] (the kernel
 * rotated by 180° with its two channel axes swapped) and gp is ∂L/∂y padded
 * by KH − 1 − p rows and KW − 1 − p columns of zeros. That is a forward
 * convolution of shape `transposedConvShape`; it needs p ≤ KH − 1 and
 * p ≤ KW − 1 (otherwise the backend takes the GEMM path below).
 */
export function transposedConvShape(shape: Conv2dShape): { shape: Conv2dShape; padHeight: number; padWidth: number } | null {
  const { batch, inChannels, height, width, outChannels, kernelHeight: KH, kernelWidth: KW, stride, padding: P, outHeight, outWidth } = shape;
  if (stride !== 1 || P > KH - 1 || P > KW - 1) return null;
  return {
    shape: { batch, inChannels: outChannels, height: outHeight, width: outWidth, outChannels: inChannels, kernelHeight: KH, kernelWidth: KW, stride: 1, padding: 0, outHeight: height, outWidth: width },
    padHeight: KH - 1 - P,
    padWidth: KW - 1 - P,
  };
}

/** w [Co, C, KH, KW] → w' [C, Co, KH, KW] with w'[c, co, kh, kw] = w[co, c, KH − 1 − kh, KW − 1 − kw]. */
export function flipWeights(w: Float32Array, shape: Conv2dShape): Float32Array {
  const { inChannels: C, outChannels: CO, kernelHeight: KH, kernelWidth: KW } = shape;
  const flipped = new Float32Array(w.length);
  for (let co = 0; co < CO; co++) {
    for (let c = 0; c < C; c++) {
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          flipped[((c * CO + co) * KH + kh) * KW + kw] = w[((co * C + c) * KH + (KH - 1 - kh)) * KW + (KW - 1 - kw)] as number;
        }
      }
    }
  }
  return flipped;
}

/**
 * For other strides the gpu.js formulation is a GEMM followed by a scatter ("col2im"):
 *
 *   1. cols[j, n, oh, ow] = Σ_co w[co, j] · ∂L/∂y[n, co, oh, ow],  j = (c, kh, kw)
 *      (the gpu.js kernel below: Wᵀ · ∂L/∂y, a matrix product over Co), then
 *   2. ∂L/∂x[n, c, oh·s − p + kh, ow·s − p + kw] += cols[j, n, oh, ow]
 *      (`scatterColumns`, plain TypeScript: 1 add per value of cols).
 *
 * This is the reference's loop nest with the sum over co done first. Every
 * stride works the same way (a gather form has to test, per lane, which
 * outputs a stride-2 input position was read by).
 *
 * Thread mapping: output [OH·OW, N, ⌈C·KH·KW/4⌉], returning Array(4).
 *   thread.x = oh·OW + ow   one output position
 *   thread.y = n            of one image
 *   thread.z = g            rows j = 4g … 4g+3 of cols
 * Per output channel a thread reads one ∂L/∂y value (lane-varying) and four
 * weights (uniform across the quad). Weights come packed as
 * wt [⌈C·KH·KW/4⌉, Co, 4] (`packGradInputWeights`).
 */
export function conv2dGradInputKernelSource(shape: Conv2dShape): string {
  const { outChannels: CO, outHeight: OH, outWidth: OW } = shape;
  const plane = OH * OW;
  // The co loop is unrolled by up to 4 (u lines per iteration), with the
  // remainder written out after it.
  const unroll = Math.min(4, CO);
  const step = (offset: string, k: string) => `    const g${k} = gradOut[gBase + ${offset} * ${plane}];
    s0 += wt[wBase + ${offset} * 4] * g${k};
    s1 += wt[wBase + ${offset} * 4 + 1] * g${k};
    s2 += wt[wBase + ${offset} * 4 + 2] * g${k};
    s3 += wt[wBase + ${offset} * 4 + 3] * g${k};`;
  const body: string[] = [];
  for (let u = 0; u < unroll; u++) body.push(step(`(co + ${u})`, String(u)));
  const tail: string[] = [];
  for (let co = CO - (CO % unroll); co < CO; co++) tail.push(step(String(co), `t${co}`));
  return `function (gradOut, wt) {
  const gBase = this.thread.y * ${CO * plane} + this.thread.x;
  const wBase = this.thread.z * ${CO * 4};
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let co = 0; co < ${CO - (CO % unroll)}; co += ${unroll}) {
${body.join('\n')}
  }
${tail.join('\n').replace(/^ {2}/gm, '')}
  return [s0, s1, s2, s3];
}`;
}

/** w [Co, C·KH·KW] → wt [⌈C·KH·KW/4⌉, Co, 4] (Wᵀ in groups of 4 rows), zeros past C·KH·KW. */
export function packGradInputWeights(w: Float32Array, shape: Conv2dShape): Float32Array {
  const { outChannels: CO } = shape;
  const taps = shape.inChannels * shape.kernelHeight * shape.kernelWidth;
  const packed = new Float32Array(quadCount(taps) * CO * 4);
  for (let co = 0; co < CO; co++) {
    for (let j = 0; j < taps; j++) packed[((j >> 2) * CO + co) * 4 + (j & 3)] = w[co * taps + j] as number;
  }
  return packed;
}

/**
 * Step 2: adds every cols value into the input position it came from. `quads`
 * is the kernel's result [⌈J/4⌉][N][OH·OW][4]; the sums go into a zero-padded
 * [N, C, H + 2p, W + 2p] buffer (so no bounds tests), cropped at the end.
 * That buffer is `scratch` when given (any earlier contents are cleared).
 * Returned as the loop over the images that does it, which the backend runs
 * (on the helper thread, for its own part, when the arrays are in shared memory).
 */
export function scatterColumns(quads: Float32Array, shape: Conv2dShape, out: Float32Array, scratch?: Float32Array): LoopCall {
  const padded = shape.padding === 0 ? out : (scratch ?? new Float32Array(shape.batch * shape.inChannels * (shape.height + 2 * shape.padding) * (shape.width + 2 * shape.padding)));
  const task: ScatterTask = { ...shape, quads, padded, out };
  return { loop: scatterImages, task, count: shape.batch };
}

/** What {@link scatterImages} reads and writes: the kernel's result, the padded sums, ∂L/∂x, and the convolution's shape. */
export interface ScatterTask extends Conv2dShape {
  quads: Float32Array;
  padded: Float32Array;
  out: Float32Array;
}

/**
 * The scatter of {@link scatterColumns} for images [first, end): each image's
 * padded sums cleared, every group of four rows j = 4g … 4g+3 added in (in
 * the order they lie in `quads`; each goes to its own (c, kh, kw) place in
 * the image), then the padding cropped off. Images are independent, and each
 * position's sum is taken in the same order however the images are split.
 * A RangeLoop (split-loop.ts, helper-loops.ts).
 */
export function scatterImages(task: ScatterTask, first: number, end: number): void {
  const { quads, padded, out, batch: N, inChannels: C, height: H, width: W, kernelHeight: KH, kernelWidth: KW, stride: S, padding: P, outHeight: OH, outWidth: OW } = task;
  const paddedHeight = H + 2 * P;
  const paddedWidth = W + 2 * P;
  const plane = paddedHeight * paddedWidth;
  const J = C * KH * KW;
  padded.fill(0, first * C * plane, end * C * plane);
  for (let n = first; n < end; n++) {
    for (let g = 0; g < Math.ceil(J / 4); g++) {
      const rows = Math.min(4, J - 4 * g);
      // where rows 4g … 4g+3, (c, kh, kw) each, land in an image
      const targets = [0, 0, 0, 0];
      for (let r = 0; r < rows; r++) {
        const j = 4 * g + r;
        const c = Math.floor(j / (KH * KW));
        const kh = Math.floor((j - c * KH * KW) / KW);
        const kw = j - c * KH * KW - kh * KW;
        targets[r] = c * plane + kh * paddedWidth + kw;
      }
      const t0 = targets[0] as number;
      const t1 = targets[1] as number;
      const t2 = targets[2] as number;
      const t3 = targets[3] as number;
      let from = (g * N + n) * OH * OW * 4;
      for (let oh = 0; oh < OH; oh++) {
        let at = n * C * plane + oh * S * paddedWidth;
        for (let ow = 0; ow < OW; ow++, at += S, from += 4) {
          padded[at + t0] = (padded[at + t0] as number) + (quads[from] as number);
          if (rows > 1) padded[at + t1] = (padded[at + t1] as number) + (quads[from + 1] as number);
          if (rows > 2) padded[at + t2] = (padded[at + t2] as number) + (quads[from + 2] as number);
          if (rows > 3) padded[at + t3] = (padded[at + t3] as number) + (quads[from + 3] as number);
        }
      }
    }
  }
  if (P === 0) return;
  for (let image = first * C; image < end * C; image++) {
    for (let h = 0; h < H; h++) {
      const from = (image * paddedHeight + h + P) * paddedWidth + P;
      const to = (image * H + h) * W;
      for (let w = 0; w < W; w++) out[to + w] = padded[from + w] as number;
    }
  }
}

/**
 * ∂L/∂x on a gpu.js backend in NCHW, in one of the two formulations above:
 * stride 1, the forward kernel on the padded ∂L/∂y with the flipped kernel;
 * any other stride, the GEMM kernel and then `scatterColumns`. (On webasm,
 * batches of 8 or more run conv2dGradInputInImageLanes instead at stride 1,
 * and conv2dGradInputInPhases at stride 2 with kernels of 2 × 2 or more.)
 */
export function conv2dGradInputOnGpu(runner: KernelRunner, gradOut: Float32Array, w: Float32Array, shape: Conv2dShape): Float32Array {
  const { batch: N, inChannels: C, height: H, width: W, outChannels: CO, kernelHeight: KH, kernelWidth: KW, outHeight: OH, outWidth: OW } = shape;
  const dx = float32Buffer(N * C * H * W);
  const xImage = C * H * W;
  const transposed = transposedConvShape(shape);
  if (transposed !== null) {
    // stride 1: a forward convolution of the padded ∂L/∂y with the flipped kernel
    const { shape: t, padHeight, padWidth } = transposed;
    const paddedHeight = OH + 2 * padHeight;
    const paddedWidth = OW + 2 * padWidth;
    const gp = padInput(gradOut, N * CO, OH, OW, padHeight, padWidth);
    const wq = packForwardWeights(flipWeights(w, shape), t);
    const gImage = CO * paddedHeight * paddedWidth;
    runner.inParts('conv2dGradInput', shape, (part, first) => ({
      job: {
        key: shapeKey('conv2dGradInput', part),
        source: () => conv2dForwardKernelSource({ ...t, batch: part.batch }, paddedHeight, paddedWidth),
        output: [H * W, part.batch, quadCount(C)],
        args: [gp.subarray(first * gImage, (first + part.batch) * gImage), wq],
      },
      finish: (quads) => unpackQuads(quads, C, part.batch, H * W, dx.subarray(first * xImage, (first + part.batch) * xImage)),
    }));
    return dx;
  }
  // other strides: the GEMM Wᵀ·∂L/∂y, then the scatter into the padded input's place (a scratch
  // buffer per part: the helper scatters its part while this thread scatters its own)
  const wt = packGradInputWeights(w, shape);
  const gImage = CO * OH * OW;
  runner.inParts('conv2dGradInput', shape, (part, first) => ({
    job: {
      key: shapeKey('conv2dGradInput', part),
      source: () => conv2dGradInputKernelSource(part),
      output: [OH * OW, part.batch, quadCount(C * KH * KW)],
      args: [gradOut.subarray(first * gImage, (first + part.batch) * gImage), wt],
    },
    finishLoop: (quads) => scatterColumns(quads, part, dx.subarray(first * xImage, (first + part.batch) * xImage), runner.scratch(`${shapeKey('scatterPadded', part)}@${first}`, part.batch * C * (H + 2 * shape.padding) * (W + 2 * shape.padding))),
  }));
  return dx;
}
