/**
 * Exercise 4: convolution as im2col + one matrix multiply (how many fast
 * libraries do it).
 *
 * For x [N, C, H, W], w [Co, C, K, K], stride 1 and padding p:
 *   1. Build `columns`, a [C·K·K, N·OH·OW] tensor: column (n, oh, ow) holds the
 *      C·K·K input values the kernel sees at that position (0 outside the image),
 *      in the order (c, kh, kw).
 *   2. w.reshape([Co, C·K·K]).matmul(columns) is [Co, N·OH·OW];
 *   3. reshape to [Co, N, OH, OW] and permute to [N, Co, OH, OW].
 * OH = H + 2p − K + 1 (and likewise OW).
 *
 * Check: npm run lesson -- 4 --check  (compares with the library's conv2d)
 */
import type { Tensor } from '../../src/index.js';

export function conv2dIm2col(x: Tensor, w: Tensor, padding: number): Tensor {
  // TODO
  throw new Error(`conv2dIm2col is not written yet (x ${x.shape}, w ${w.shape}, padding ${padding})`);
}
