/**
 * Convolution forward (cross-correlation, as in every DL framework):
 *   y[n, co, oh, ow] = Σ_c Σ_kh Σ_kw x[n, c, oh·s − p + kh, ow·s − p + kw] · w[co, c, kh, kw]
 * where s is the stride, p the zero padding, and x reads as 0 outside the image.
 */
import type { Conv2dShape, FloatArray } from './shapes.js';

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
 * Thread mapping: output [OW, OH, N·Co]; `thread.x` = ow, `thread.y` = oh,
 * `thread.z` = n·Co + co. Each thread sums C·KH·KW products.
 */
export function conv2dForwardKernelSource(shape: Conv2dShape): string {
  const { inChannels: C, height: H, width: W, outChannels: CO, kernelHeight: KH, kernelWidth: KW, stride: S, padding: P } = shape;
  return `function (x, w) {
  const n = Math.floor(this.thread.z / ${CO});
  const co = this.thread.z - n * ${CO};
  const oh = this.thread.y;
  const ow = this.thread.x;
  let sum = 0;
  for (let c = 0; c < ${C}; c++) {
    for (let kh = 0; kh < ${KH}; kh++) {
      const ih = oh * ${S} - ${P} + kh;
      if (ih >= 0 && ih < ${H}) {
        for (let kw = 0; kw < ${KW}; kw++) {
          const iw = ow * ${S} - ${P} + kw;
          if (iw >= 0 && iw < ${W}) {
            sum += x[((n * ${C} + c) * ${H} + ih) * ${W} + iw] * w[((co * ${C} + c) * ${KH} + kh) * ${KW} + kw];
          }
        }
      }
    }
  }
  return sum;
}`;
}
