/**
 * Every op as a function, for `import { ops } from 'robustnorm'`: most are
 * also Tensor methods (`x.add(y)`, `x.relu()`, `x.sum(axes)`), which is how
 * models and lessons usually call them. Each file pairs an op's forward with
 * its backward.
 */
export { add, sub, mul, div } from './binary.js';
export { neg, exp, log, sqrt, pow, abs, sign, clamp, relu, tanh } from './unary.js';
export { sum, mean, max, min, argmaxRows } from './reduce.js';
export { reshape, flatten, permute, transpose, broadcastTo } from './reshape.js';
export { matmul } from './matmul.js';
export { conv2d, type Conv2dOptions } from './conv2d.js';
export { avgPool2d, globalAvgPool2d } from './pool.js';
export { logSoftmax, crossEntropy, type Labels, type Reduction } from './loss.js';
