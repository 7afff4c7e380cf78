/**
 * 2-D convolution over NCHW tensors, computed by the active kernel backend.
 * The forward kernel and both backward kernels (with the index math) are in
 * src/kernels/conv2d-*.ts, each beside its reference twin.
 */
import { kernelsFor } from '../kernels/backend.js';
import { convOutputSize, type Conv2dShape } from '../kernels/shapes.js';
import { record } from '../tensor/autograd.js';
import { formatShape } from '../tensor/shape.js';
import { allocate, Tensor } from '../tensor/tensor.js';

/** Stride and zero padding of {@link conv2d}. */
export interface Conv2dOptions {
  /** Step between kernel positions (default 1). */
  stride?: number;
  /** Zeros added on every side of the image (default 0). */
  padding?: number;
}

export function conv2dShape(xShape: readonly number[], wShape: readonly number[], stride: number, padding: number): Conv2dShape {
  if (xShape.length !== 4) throw new Error(`conv2d: input must be [N, C, H, W], got ${formatShape(xShape)}`);
  if (wShape.length !== 4) throw new Error(`conv2d: weight must be [Co, C, KH, KW], got ${formatShape(wShape)}`);
  const [batch, inChannels, height, width] = xShape as [number, number, number, number];
  const [outChannels, weightChannels, kernelHeight, kernelWidth] = wShape as [number, number, number, number];
  if (weightChannels !== inChannels) {
    throw new Error(`conv2d: input ${formatShape(xShape)} has ${inChannels} channels but weight ${formatShape(wShape)} expects ${weightChannels}`);
  }
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`conv2d: stride must be a positive integer, got ${stride}`);
  if (!Number.isInteger(padding) || padding < 0) throw new Error(`conv2d: padding must be a non-negative integer, got ${padding}`);
  const outHeight = convOutputSize(height, kernelHeight, stride, padding);
  const outWidth = convOutputSize(width, kernelWidth, stride, padding);
  if (outHeight < 1 || outWidth < 1) {
    throw new Error(`conv2d: a ${kernelHeight}×${kernelWidth} kernel with padding ${padding} does not fit the ${height}×${width} input ${formatShape(xShape)}`);
  }
  return { batch, inChannels, height, width, outChannels, kernelHeight, kernelWidth, stride, padding, outHeight, outWidth };
}

/** y[n, co] += bias[co] over every position. */
function addBias(y: Tensor, bias: Tensor, shape: Conv2dShape): void {
  const plane = shape.outHeight * shape.outWidth;
  for (let n = 0; n < shape.batch; n++) {
    for (let co = 0; co < shape.outChannels; co++) {
      const value = bias.data[co] as number;
      const base = (n * shape.outChannels + co) * plane;
      for (let i = 0; i < plane; i++) y.data[base + i] = (y.data[base + i] as number) + value;
    }
  }
}

/** ∂L/∂bias[co] = Σ_n Σ_oh Σ_ow ∂L/∂y[n, co, oh, ow] */
function biasGrad(gradOut: Tensor, shape: Conv2dShape): Tensor {
  const plane = shape.outHeight * shape.outWidth;
  const grad = allocate(gradOut.dtype, shape.outChannels);
  for (let n = 0; n < shape.batch; n++) {
    for (let co = 0; co < shape.outChannels; co++) {
      const base = (n * shape.outChannels + co) * plane;
      let sum = 0;
      for (let i = 0; i < plane; i++) sum += gradOut.data[base + i] as number;
      grad[co] = (grad[co] as number) + sum;
    }
  }
  return new Tensor(grad, [shape.outChannels]);
}

/**
 * y = x ⋆ w + b: x [N, C, H, W], w [Co, C, KH, KW], optional b [Co] → y [N, Co, OH, OW].
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv2dOptions = {}): Tensor {
  const shape = conv2dShape(x.shape, weight.shape, options.stride ?? 1, options.padding ?? 0);
  if (x.dtype !== weight.dtype) throw new Error(`conv2d: dtype mismatch (input ${x.dtype}, weight ${weight.dtype})`);
  if (bias !== null && (bias.rank !== 1 || bias.shape[0] !== shape.outChannels)) {
    throw new Error(`conv2d: bias must have shape [${shape.outChannels}], got ${formatShape(bias.shape)}`);
  }
  const kernels = kernelsFor(x.dtype);
  const y = new Tensor(kernels.conv2dForward(x.data, weight.data, shape), [shape.batch, shape.outChannels, shape.outHeight, shape.outWidth]);
  if (bias !== null) addBias(y, bias, shape);
  const inputs = bias === null ? [x, weight] : [x, weight, bias];
  // ∂L/∂x = "transposed convolution" of ∂L/∂y with w     (kernels/conv2d-grad-input.ts)
  // ∂L/∂w = correlation of x with ∂L/∂y over the batch  (kernels/conv2d-grad-weight.ts)
  // ∂L/∂b = ∂L/∂y summed over batch and positions
  return record('conv2d', y, inputs, (gradOut, needs) => [
    needs[0] ? new Tensor(kernels.conv2dGradInput(gradOut.data, weight.data, shape), x.shape) : null,
    needs[1] ? new Tensor(kernels.conv2dGradWeight(x.data, gradOut.data, shape), weight.shape) : null,
    needs[2] ? biasGrad(gradOut, shape) : null,
  ]);
}
