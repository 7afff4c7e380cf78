/**
 * Lesson 1: tensors and broadcasting.  Run: npm run lesson -- 1
 * Read along: lessons/01-tensors.md
 */
import { broadcastShapes, fromArray, stridesOf, Tensor, zeros } from '../src/index.js';
import { heading } from './helpers.js';

heading('A tensor is a flat typed array plus a shape');
const x = fromArray([[1, 2, 3], [4, 5, 6]]);
console.log(x.toString());
console.log('shape', x.shape, 'dtype', x.dtype, 'size', x.size);
console.log('data (flat, row-major):', x.data);
console.log('strides', stridesOf(x.shape), '→ x[1, 2] lives at data[1·3 + 2·1] =', x.data[1 * 3 + 2 * 1]);

heading('Strides are a view: the same memory read another way (ndarray)');
// toNdarray() is a zero-copy scijs `ndarray` view: the same Float32Array with shape and strides.
const view = x.toNdarray();
console.log('view.stride', view.stride, '— the strides above; view.get(1, 2) =', view.get(1, 2));
const transposed = view.transpose(1, 0); // a new view: shape [3, 2], strides swapped, nothing copied
console.log('transposed view: shape', transposed.shape, 'stride', transposed.stride, 'same memory:', transposed.data === x.data);
console.log('  its row 0 reads data[0], data[3]:', [transposed.get(0, 0), transposed.get(0, 1)]);
// A Tensor is always contiguous and row-major (the kernels rely on it), so bringing a strided view
// back is a copy, as x.transpose() is: the same values in a new row-major array.
console.log('Tensor.fromNdarray(transposed):', Tensor.fromNdarray(transposed).toList(), '= x.transpose():', x.transpose().toList());

heading('Images are NCHW: [batch, channels, height, width]');
const images = zeros([2, 1, 28, 28]);
console.log('a batch of two MNIST images:', images.shape, 'strides', stridesOf(images.shape));
console.log('pixel (n=1, c=0, h=3, w=4) is data index', 1 * 784 + 0 * 784 + 3 * 28 + 4);

heading('Broadcasting: shapes line up from the right; a 1 stretches');
const rowVector = fromArray([[10, 20, 30]]); // [1, 3]
const columnVector = fromArray([[100], [200]]); // [2, 1]
console.log('[2, 3] + [1, 3] →', broadcastShapes(x.shape, rowVector.shape));
console.log(x.add(rowVector).toString());
console.log('[2, 1] + [1, 3] →', broadcastShapes(columnVector.shape, rowVector.shape), '(an outer sum)');
console.log(columnVector.add(rowVector).toString());
console.log('a number is a rank-0 tensor: x · 2 =', x.mul(2).toList());
try {
  x.add(fromArray([1, 2]));
} catch (error) {
  console.log('[2, 3] + [2] fails:', (error as Error).message);
}

heading('Reductions over axes, with keepDim so the result broadcasts back');
const rowMeans = x.mean(1, true); // [2, 1]
console.log('mean over axis 1, keepDim:', rowMeans.shape, rowMeans.toList());
console.log('centered rows, x − mean:', x.sub(rowMeans).toList());

heading('The per-channel statistics a norm layer needs');
// BatchNorm and RobustNorm reduce an NCHW activation over (N, H, W), one value per channel.
const activation = new Tensor(Float32Array.from({ length: 2 * 3 * 2 * 2 }, (_, i) => i), [2, 3, 2, 2]);
const channelMean = activation.mean([0, 2, 3], true); // [1, 3, 1, 1]
const channelRange = activation.max([0, 2, 3], true).sub(activation.min([0, 2, 3], true));
console.log('activation', activation.shape, '→ mean per channel', channelMean.shape, channelMean.toList());
console.log('range (max − min) per channel', channelRange.toList());
console.log('x − μ broadcasts [2, 3, 2, 2] − [1, 3, 1, 1] →', activation.sub(channelMean).shape);
