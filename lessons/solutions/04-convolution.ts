/** A solution to exercise 4 (lessons/exercises/04-convolution.ts). */
import { Tensor, zeros } from '../../src/index.js';

export function conv2dIm2col(x: Tensor, w: Tensor, padding: number): Tensor {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [CO, , K] = w.shape as [number, number, number, number];
  const OH = H + 2 * padding - K + 1;
  const OW = W + 2 * padding - K + 1;
  const positions = OH * OW;
  // The gathering as a constant 0/1 matrix: pixel (ih, iw) → window slot (kh, kw) at output (oh, ow).
  const select = zeros([H * W, K * K * positions], { dtype: x.dtype });
  for (let kh = 0; kh < K; kh++) {
    for (let kw = 0; kw < K; kw++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const ih = oh - padding + kh;
          const iw = ow - padding + kw;
          if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue; // padding: picks nothing, reads as 0
          select.data[(ih * W + iw) * K * K * positions + (kh * K + kw) * positions + oh * OW + ow] = 1;
        }
      }
    }
  }
  // Every window of every image and channel, through matmul: the gradient for x is ∂L/∂(windows) · selectᵀ.
  const windows = x.reshape([N * C, H * W]).matmul(select); // [N·C, K·K·OH·OW]
  const columns = windows.reshape([N, C, K * K, OH, OW]).permute([1, 2, 0, 3, 4]).reshape([C * K * K, N * positions]);
  return w.reshape([CO, C * K * K]).matmul(columns).reshape([CO, N, OH, OW]).permute([1, 0, 2, 3]);
}
