/**
 * Average pooling over NCHW tensors.
 */
import { record } from '../tensor/autograd.js';
import { formatShape } from '../tensor/shape.js';
import { allocate, Tensor } from '../tensor/tensor.js';
import { mean } from './reduce.js';

/**
 * y[n, c, oh, ow] = (1/k²) Σ_{i<k} Σ_{j<k} x[n, c, oh·s + i, ow·s + j]   (no padding)
 */
export function avgPool2d(x: Tensor, kernelSize: number, stride = kernelSize): Tensor {
  if (x.rank !== 4) throw new Error(`avgPool2d: input must be [N, C, H, W], got ${formatShape(x.shape)}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const OH = Math.floor((H - kernelSize) / stride) + 1;
  const OW = Math.floor((W - kernelSize) / stride) + 1;
  if (kernelSize < 1 || stride < 1 || OH < 1 || OW < 1) {
    throw new Error(`avgPool2d: a ${kernelSize}×${kernelSize} window with stride ${stride} does not fit input ${formatShape(x.shape)}`);
  }
  const area = kernelSize * kernelSize;
  const out = allocate(x.dtype, N * C * OH * OW);
  for (let plane = 0; plane < N * C; plane++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let sum = 0;
        for (let i = 0; i < kernelSize; i++) {
          for (let j = 0; j < kernelSize; j++) sum += x.data[(plane * H + oh * stride + i) * W + ow * stride + j] as number;
        }
        out[(plane * OH + oh) * OW + ow] = sum / area;
      }
    }
  }
  // ∂L/∂x[n, c, h, w] = Σ over the windows that contain (h, w) of ∂L/∂y / k²
  return record('avgPool2d', new Tensor(out, [N, C, OH, OW]), [x], (gradOut) => {
    const grad = allocate(x.dtype, x.size);
    for (let plane = 0; plane < N * C; plane++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const share = (gradOut.data[(plane * OH + oh) * OW + ow] as number) / area;
          for (let i = 0; i < kernelSize; i++) {
            for (let j = 0; j < kernelSize; j++) {
              const index = (plane * H + oh * stride + i) * W + ow * stride + j;
              grad[index] = (grad[index] as number) + share;
            }
          }
        }
      }
    }
    return [new Tensor(grad, x.shape)];
  });
}

/** Global average pooling: [N, C, H, W] → [N, C], the mean of each channel's plane (its gradient is mean's). */
export function globalAvgPool2d(x: Tensor): Tensor {
  if (x.rank !== 4) throw new Error(`globalAvgPool2d: input must be [N, C, H, W], got ${formatShape(x.shape)}`);
  return mean(x, [2, 3]);
}
