/**
 * Convolution backward with respect to the weight. w[co, c, kh, kw] multiplied
 * one input pixel for every output position, so
 *   ∂L/∂w[co, c, kh, kw] = Σ_n Σ_oh Σ_ow ∂L/∂y[n, co, oh, ow] · x[n, c, oh·s − p + kh, ow·s − p + kw]
 * a sum of N·OH·OW terms (100,352 for a batch of 128 at 28×28).
 */
import { MAX_LOOP_ITERATIONS_PER_THREAD, type Conv2dShape, type FloatArray } from './shapes.js';

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
 * thread loops more than MAX_LOOP_ITERATIONS_PER_THREAD times (Mesa's llvmpipe
 * silently truncates longer loops; see research/gpujs.md). The chunks' partial
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
