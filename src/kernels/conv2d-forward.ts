/**
 * Convolution forward (cross-correlation, as in every DL framework):
 *   y[n, co, oh, ow] = Σ_c Σ_kh Σ_kw x[n, c, oh·s − p + kh, ow·s − p + kw] · w[co, c, kh, kw]
 * where s is the stride, p the zero padding, and x reads as 0 outside the image.
 */
import { float32BufferToOverwrite } from '../buffer-pool.js';
import type { KernelRunner } from './kernel-runner.js';
import { quadCount, unpackQuads } from './layout.js';
import { shapeKey, type Conv2dShape, type FloatArray } from './shapes.js';

export function conv2dForwardReference(x: FloatArray, w: FloatArray, shape: Conv2dShape, out: FloatArray): FloatArray {
  const { batch: N, inChannels: C, height: H, width: W, outChannels: CO, kernelHeight: KH, kernelWidth: KW, stride: S, padding: P, outHeight: OH, outWidth: OW } = shape;
  out.fill(0);
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < CO; co++) {
      const yBase = (n * CO + co) * OH * OW;
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
                out[yBase + oh * OW + ow] = (out[yBase + oh * OW + ow] as number) + weight * (x[xBase + ih * W + iw] as number);
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
 * The gpu.js kernel, generated per shape: an implicit GEMM on the zero-padded
 * input xp [N, C, H + 2p, W + 2p] (see layout.ts for why these choices).
 *
 * Thread mapping: output [OH·OW, N, ⌈Co/4⌉], returning Array(4).
 *   thread.x = oh·OW + ow   one output position
 *   thread.y = n            of one image
 *   thread.z = g            output channels 4g … 4g+3
 * (3-D so that gpu.js's WebGL texture for it is near-square: a 2-D output
 * N·OH·OW wide would exceed the 16,384-texel texture width.)
 * Each thread sums C·KH·KW taps for its four channels. Per tap it reads one
 * input value (lane-varying) and four weights (the same for the whole quad),
 * so one gather feeds four multiply-adds. The KH·KW taps of a channel are
 * unrolled in the source; no bounds tests, as xp is padded.
 *
 * Weights come packed as wq [⌈Co/4⌉, C·KH·KW, 4] (`packForwardWeights`), so a
 * thread's four weights for a tap are adjacent. The result is [g][n][position][4];
 * `unpackQuads` turns it into y [N, Co, OH, OW].
 *
 * `paddedHeight`/`paddedWidth` are xp's sizes; they differ from the default
 * only when the gradient with respect to the input reuses this kernel (see
 * conv2d-grad-input.ts), where the padding can differ between height and width.
 */
export function conv2dForwardKernelSource(shape: Conv2dShape, paddedHeight = shape.height + 2 * shape.padding, paddedWidth = shape.width + 2 * shape.padding): string {
  const { inChannels: C, kernelHeight: KH, kernelWidth: KW, stride: S, outHeight: OH, outWidth: OW } = shape;
  const plane = paddedHeight * paddedWidth;
  const taps: string[] = [];
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const t = kh * KW + kw;
      taps.push(`    // tap (kh, kw) = (${kh}, ${kw})
    const v${t} = xp[xc + ${kh * paddedWidth + kw}];
    y0 += wq[wc + ${4 * t}] * v${t};
    y1 += wq[wc + ${4 * t + 1}] * v${t};
    y2 += wq[wc + ${4 * t + 2}] * v${t};
    y3 += wq[wc + ${4 * t + 3}] * v${t};`);
    }
  }
  return `function (xp, wq) {
  const n = this.thread.y;
  const oh = Math.floor(this.thread.x / ${OW});
  const ow = this.thread.x - oh * ${OW};
  // top-left corner of this output's receptive field in xp[n, 0]
  const corner = n * ${C * plane} + oh * ${S * paddedWidth} + ow * ${S};
  const wBase = this.thread.z * ${C * KH * KW * 4};
  let y0 = 0;
  let y1 = 0;
  let y2 = 0;
  let y3 = 0;
  for (let c = 0; c < ${C}; c++) {
    const xc = corner + c * ${plane};
    const wc = wBase + c * ${KH * KW * 4};
${taps.join('\n')}
  }
  return [y0, y1, y2, y3];
}`;
}

/** w [Co, C, KH, KW] → wq [⌈Co/4⌉, C·KH·KW, 4], zeros for the padding channels ≥ Co. */
export function packForwardWeights(w: Float32Array, shape: Conv2dShape): Float32Array {
  const { outChannels: CO } = shape;
  const taps = shape.inChannels * shape.kernelHeight * shape.kernelWidth;
  const packed = new Float32Array(quadCount(CO) * taps * 4);
  for (let co = 0; co < CO; co++) {
    const group = co >> 2;
    const lane = co & 3;
    for (let t = 0; t < taps; t++) packed[(group * taps + t) * 4 + lane] = w[co * taps + t] as number;
  }
  return packed;
}

/**
 * The forward convolution on a gpu.js backend in NCHW (WebGL, and webasm for
 * batches under 8; larger webasm batches run conv2dForwardInImageLanes): the
 * input padded once (and remembered for its weight gradient), the weights
 * packed, the kernel run over the batch, the quads unpacked into y.
 */
export function conv2dForwardOnGpu(runner: KernelRunner, x: Float32Array, w: Float32Array, shape: Conv2dShape): Float32Array {
  const { batch: N, inChannels: C, height: H, width: W, outChannels: CO, padding: P, outHeight: OH, outWidth: OW } = shape;
  const xp = runner.padForward(x, shape);
  const wq = packForwardWeights(w, shape);
  const y = float32BufferToOverwrite(N * CO * OH * OW); // every part unpacked into it
  const xImage = C * (H + 2 * P) * (W + 2 * P);
  const yImage = CO * OH * OW;
  runner.inParts('conv2dForward', shape, (part, first) => ({
    job: {
      key: shapeKey('conv2dForward', part),
      source: () => conv2dForwardKernelSource(part),
      output: [OH * OW, part.batch, quadCount(CO)],
      args: [xp.subarray(first * xImage, (first + part.batch) * xImage), wq],
    },
    finish: (quads) => unpackQuads(quads, CO, part.batch, OH * OW, y.subarray(first * yImage, (first + part.batch) * yImage)),
  }));
  return y;
}
