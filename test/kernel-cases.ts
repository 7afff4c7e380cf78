import { convOutputSize, type Conv2dShape, type MatmulShape } from '../src/kernels/shapes.js';

export function convCase(batch: number, inChannels: number, height: number, width: number, outChannels: number, kernel: number, stride: number, padding: number): Conv2dShape {
  return {
    batch, inChannels, height, width, outChannels, kernelHeight: kernel, kernelWidth: kernel, stride, padding,
    outHeight: convOutputSize(height, kernel, stride, padding),
    outWidth: convOutputSize(width, kernel, stride, padding),
  };
}

/** Odd shapes: batch 1, non-square, channel counts not a multiple of 4, stride 2, padding 0 and 1. */
export const oddConvShapes: Array<[string, Conv2dShape]> = [
  ['batch 1, 3→5 ch, 7×5, pad 1', convCase(1, 3, 7, 5, 5, 3, 1, 1)],
  ['5→7 ch, 9×6, stride 2, pad 1', convCase(2, 5, 9, 6, 7, 3, 2, 1)],
  ['2→3 ch, 8×8, stride 2, pad 0', convCase(3, 2, 8, 8, 3, 3, 2, 0)],
  ['1×1 kernel, stride 2 (ResNet shortcut)', convCase(2, 6, 7, 7, 10, 1, 2, 0)],
  ['2×3 kernel on 6×5', { ...convCase(2, 3, 6, 5, 2, 3, 1, 0), kernelHeight: 2, kernelWidth: 3, outHeight: 5, outWidth: 3 }],
  // Big enough for the webasm backend to split the batch with its helper thread, into unequal parts.
  ['batch 5 split 2 + 3, 6→10 ch, 13×11, stride 2, pad 1', convCase(5, 6, 13, 11, 10, 3, 2, 1)],
  ['batch 3 split 1 + 2, 5→6 ch, 12×10, stride 1, pad 1', convCase(3, 5, 12, 10, 6, 3, 1, 1)],
  // Batches of 8 or more run in the webasm backend's image-lanes layout (conv2d-image-lanes.ts),
  // split at a multiple of 4 and padded to whole quads of images.
  ['image lanes: batch 8, 3→5 ch, 7×5, pad 1', convCase(8, 3, 7, 5, 5, 3, 1, 1)],
  ['image lanes: batch 9 split 4 + 5, 5→7 ch, 9×6, stride 2, pad 1', convCase(9, 5, 9, 6, 7, 3, 2, 1)],
  ['image lanes: batch 12, 2→3 ch, 8×8, stride 2, pad 0', convCase(12, 2, 8, 8, 3, 3, 2, 0)],
  ['image lanes: batch 10, 1×1 kernel, stride 2', convCase(10, 6, 7, 7, 10, 1, 2, 0)],
  ['image lanes: batch 8, 1×1 kernel, pad 1 (gather form at stride 1)', convCase(8, 3, 5, 5, 4, 1, 1, 1)],
  ['image lanes: batch 11, 2×3 kernel on 6×5', { ...convCase(11, 3, 6, 5, 2, 3, 1, 0), kernelHeight: 2, kernelWidth: 3, outHeight: 5, outWidth: 3 }],
  ['image lanes: batch 16, 4→6 ch, 11×9, stride 3, pad 2', convCase(16, 4, 11, 9, 6, 3, 3, 2)],
  // Stride 2 with a kernel of 2 or more taps each way: the input gradient's phase kernel
  // (conv2d-grad-input-phases.ts), with odd sizes (the last block's odd row or column dropped),
  // phases of unequal tap counts and a kernel that is not square.
  ['phases: batch 9, 3→5 ch, 4×4 kernel, 9×7, stride 2, pad 1', convCase(9, 3, 9, 7, 5, 4, 2, 1)],
  ['phases: batch 8, 2×2 kernel, 7×6, stride 2, pad 0', convCase(8, 5, 7, 6, 3, 2, 2, 0)],
  ['phases: batch 13, 5×3 kernel, 11×8, stride 2, pad 2', { ...convCase(13, 2, 11, 8, 6, 3, 2, 2), kernelHeight: 5, outHeight: convOutputSize(11, 5, 2, 2) }],
  // The webasm weight gradient sums groups of images per thread (imagesPerShare: 50 of 150 in one
  // piece, 36 of 72 and 39 of 78 split): several groups of a size that is not a power of 2.
  ['weight-gradient image groups: batch 150, 2→3 ch, 7×7, pad 1', convCase(150, 2, 7, 7, 3, 3, 1, 1)],
];

/** The models' real layer shapes at batch 128 (where llvmpipe's loop cap once broke grad-weight). */
export const layerConvShapes: Array<[string, Conv2dShape]> = [
  ['smallCnn conv1 1→16, 28×28', convCase(128, 1, 28, 28, 16, 3, 1, 1)],
  ['benchmark / ResNet 16→32, 28×28, pad 1', convCase(128, 16, 28, 28, 32, 3, 1, 1)],
  ['smallCnn conv2 16→32, stride 2', convCase(128, 16, 28, 28, 32, 3, 2, 1)],
  ['smallCnn conv3 32→64, 14×14, stride 2', convCase(128, 32, 14, 14, 64, 3, 2, 1)],
];

export const matmulShapes: Array<[string, MatmulShape]> = [
  ['1×1×1', { m: 1, k: 1, n: 1, transA: false, transB: false }],
  ['3×5 · 5×7', { m: 3, k: 5, n: 7, transA: false, transB: false }],
  ['17×33 · 33×9, A transposed', { m: 17, k: 33, n: 9, transA: true, transB: false }],
  ['6×11 · 11×13, B transposed', { m: 6, k: 11, n: 13, transA: false, transB: true }],
  ['both transposed', { m: 5, k: 4, n: 3, transA: true, transB: true }],
  ['Linear 64·7·7→10 at batch 128', { m: 128, k: 3136, n: 10, transA: false, transB: false }],
  ['its weight gradient (Xᵀ·G)', { m: 3136, k: 128, n: 10, transA: true, transB: false }],
  ['256² square', { m: 256, k: 256, n: 256, transA: false, transB: false }],
];
