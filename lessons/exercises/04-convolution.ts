/**
 * Exercise 4: convolution as im2col + one matrix multiply (how many fast
 * libraries do it), built from differentiable ops so that autograd gives its
 * gradients for x and w.
 *
 * For x [N, C, H, W], w [Co, C, K, K], stride 1 and padding p
 * (OH = H + 2p − K + 1, likewise OW):
 *   1. Gathering windows is linear in x, so it is a product with a constant 0/1
 *      matrix. Build `select`, [H·W, K·K·OH·OW] with the dtype of x: entry
 *      (ih·W + iw, (kh·K + kw)·OH·OW + oh·OW + ow) is 1 where
 *      ih = oh − p + kh and iw = ow − p + kw lie inside the image, 0 elsewhere
 *      (a padded position picks nothing, so it reads as 0). Loops are fine
 *      here: `select` is a constant, not a function of x.
 *   2. x.reshape([N·C, H·W]).matmul(select) is [N·C, K·K·OH·OW]: every window,
 *      for every image and channel. Reshape it to [N, C, K·K, OH, OW], permute
 *      to [C, K·K, N, OH, OW] and reshape to the columns [C·K·K, N·OH·OW]
 *      (rows in the order (c, kh, kw), columns (n, oh, ow)).
 *   3. w.reshape([Co, C·K·K]).matmul(columns) is [Co, N·OH·OW]; reshape to
 *      [Co, N, OH, OW] and permute to [N, Co, OH, OW].
 * Never read or write x.data: a value copied out of a tensor by hand leaves
 * the graph, and its gradient is silently 0.
 *
 * Check: npm run lesson -- 4 --check  (compares with the library's conv2d and
 * runs gradCheck on your function)
 */
import type { Tensor } from '../../src/index.js';

export function conv2dIm2col(x: Tensor, w: Tensor, padding: number): Tensor {
  // TODO
  throw new Error(`conv2dIm2col is not written yet (x ${x.shape}, w ${w.shape}, padding ${padding})`);
}
