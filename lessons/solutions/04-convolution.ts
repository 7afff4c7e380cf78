/** A solution to exercise 4 (lessons/exercises/04-convolution.ts). */
import { Tensor, zeros } from '../../src/index.js';

export function conv2dIm2col(x: Tensor, w: Tensor, padding: number): Tensor {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [CO, , K] = w.shape as [number, number, number, number];
  const OH = H + 2 * padding - K + 1;
  const OW = W + 2 * padding - K + 1;
  const positions = N * OH * OW;
  const columns = zeros([C * K * K, positions], { dtype: x.dtype });
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const column = (n * OH + oh) * OW + ow;
        for (let c = 0; c < C; c++) {
          for (let kh = 0; kh < K; kh++) {
            for (let kw = 0; kw < K; kw++) {
              const ih = oh - padding + kh;
              const iw = ow - padding + kw;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              const row = (c * K + kh) * K + kw;
              columns.data[row * positions + column] = x.data[((n * C + c) * H + ih) * W + iw] as number;
            }
          }
        }
      }
    }
  }
  return w.reshape([CO, C * K * K]).matmul(columns).reshape([CO, N, OH, OW]).permute([1, 0, 2, 3]);
}
