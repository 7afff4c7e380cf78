/**
 * Convolution backward with respect to the input. Every x[n, c, ih, iw] was read
 * by each output y[n, co, oh, ow] with ih = oh·s − p + kh and iw = ow·s − p + kw,
 * so its gradient collects those outputs' gradients times the weight that read it:
 *   ∂L/∂x[n, c, ih, iw] = Σ_co Σ_kh Σ_kw ∂L/∂y[n, co, oh, ow] · w[co, c, kh, kw]
 *   for oh = (ih + p − kh) / s and ow = (iw + p − kw) / s, when these are whole
 *   numbers inside the output.
 */
import type { Conv2dShape, FloatArray } from './shapes.js';

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
 * Gather form for the GPU (one thread per input element, no write conflicts).
 * Thread mapping: output [W, H, N·C]; `thread.x` = iw, `thread.y` = ih,
 * `thread.z` = n·C + c. Each thread visits Co·KH·KW candidate outputs.
 */
export function conv2dGradInputKernelSource(shape: Conv2dShape): string {
  const { inChannels: C, outChannels: CO, kernelHeight: KH, kernelWidth: KW, stride: S, padding: P, outHeight: OH, outWidth: OW } = shape;
  return `function (gradOut, w) {
  const n = Math.floor(this.thread.z / ${C});
  const c = this.thread.z - n * ${C};
  const ih = this.thread.y;
  const iw = this.thread.x;
  let sum = 0;
  for (let co = 0; co < ${CO}; co++) {
    for (let kh = 0; kh < ${KH}; kh++) {
      const th = ih + ${P} - kh;
      const oh = Math.floor(th / ${S});
      if (th >= 0 && oh * ${S} === th && oh < ${OH}) {
        for (let kw = 0; kw < ${KW}; kw++) {
          const tw = iw + ${P} - kw;
          const ow = Math.floor(tw / ${S});
          if (tw >= 0 && ow * ${S} === tw && ow < ${OW}) {
            sum += gradOut[((n * ${CO} + co) * ${OH} + oh) * ${OW} + ow] * w[((co * ${C} + c) * ${KH} + kh) * ${KW} + kw];
          }
        }
      }
    }
  }
  return sum;
}`;
}
