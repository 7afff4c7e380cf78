/**
 * log-softmax and cross-entropy over logits [N, K] (one row of K class scores per sample).
 */
import { record } from '../tensor/autograd.js';
import { formatShape } from '../tensor/shape.js';
import { allocate, Tensor, type TypedArray } from '../tensor/tensor.js';

function checkLogits(op: string, logits: Tensor): [number, number] {
  if (logits.rank !== 2) throw new Error(`${op}: expects logits of shape [N, K], got ${formatShape(logits.shape)}`);
  return logits.shape as [number, number];
}

/**
 * out[n, k] = z[n, k] − log Σ_j exp(z[n, j]), computed stably as
 * z[n, k] − m − log Σ_j exp(z[n, j] − m) with m = max_j z[n, j], so no exp overflows.
 */
function logSoftmaxRows(z: TypedArray, rows: number, classes: number, out: TypedArray): void {
  for (let n = 0; n < rows; n++) {
    const base = n * classes;
    let rowMax = -Infinity;
    for (let k = 0; k < classes; k++) rowMax = Math.max(rowMax, z[base + k] as number);
    let sumExp = 0;
    for (let k = 0; k < classes; k++) sumExp += Math.exp((z[base + k] as number) - rowMax);
    const logNormalizer = rowMax + Math.log(sumExp);
    for (let k = 0; k < classes; k++) out[base + k] = (z[base + k] as number) - logNormalizer;
  }
}

/**
 * y[n, k] = z[n, k] − log Σ_j exp(z[n, j]) per row of logits [N, K], computed stably;
 * ∂L/∂z_i = ∂L/∂y_i − softmax_i · Σ_k ∂L/∂y_k.
 */
export function logSoftmax(logits: Tensor): Tensor {
  const [rows, classes] = checkLogits('logSoftmax', logits);
  const out = allocate(logits.dtype, logits.size);
  logSoftmaxRows(logits.data, rows, classes, out);
  // y_k = z_k − log Σ_j e^{z_j}  ⇒  ∂y_k/∂z_i = [k = i] − softmax_i
  //   ⇒  ∂L/∂z_i = ∂L/∂y_i − softmax_i · Σ_k ∂L/∂y_k,   with softmax_i = e^{y_i}
  return record('logSoftmax', new Tensor(out, logits.shape), [logits], (gradOut) => {
    const grad = allocate(logits.dtype, logits.size);
    for (let n = 0; n < rows; n++) {
      const base = n * classes;
      let gradSum = 0;
      for (let k = 0; k < classes; k++) gradSum += gradOut.data[base + k] as number;
      for (let k = 0; k < classes; k++) grad[base + k] = (gradOut.data[base + k] as number) - Math.exp(out[base + k] as number) * gradSum;
    }
    return [new Tensor(grad, logits.shape)];
  });
}

/** How {@link crossEntropy} combines the per-sample losses: their mean or their sum. */
export type Reduction = 'mean' | 'sum';

/** Class labels as integers in [0, K), one per row of the logits. */
export type Labels = ArrayLike<number>;

/**
 * L = Σ_n −log softmax(z_n)[y_n]   (reduction 'sum'), or that sum / N ('mean').
 */
export function crossEntropy(logits: Tensor, labels: Labels, reduction: Reduction = 'mean'): Tensor {
  const [rows, classes] = checkLogits('crossEntropy', logits);
  if (labels.length !== rows) throw new Error(`crossEntropy: ${labels.length} labels for ${rows} rows of logits ${formatShape(logits.shape)}`);
  for (let n = 0; n < rows; n++) {
    const label = labels[n] as number;
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new Error(`crossEntropy: label ${label} at index ${n} is not a class in [0, ${classes})`);
    }
  }
  const logProbs = allocate(logits.dtype, logits.size);
  logSoftmaxRows(logits.data, rows, classes, logProbs);
  let total = 0;
  for (let n = 0; n < rows; n++) total -= logProbs[n * classes + (labels[n] as number)] as number;
  const scale = reduction === 'mean' ? 1 / rows : 1;
  const out = allocate(logits.dtype, 1);
  out[0] = total * scale;
  // ∂L/∂z[n, k] = (softmax(z_n)[k] − [k = y_n]) · scale,   scale = 1/N for 'mean', 1 for 'sum'
  return record('crossEntropy', new Tensor(out, []), [logits], (gradOut) => {
    const upstream = (gradOut.data[0] as number) * scale;
    const grad = allocate(logits.dtype, logits.size);
    for (let n = 0; n < rows; n++) {
      for (let k = 0; k < classes; k++) {
        const index = n * classes + k;
        grad[index] = (Math.exp(logProbs[index] as number) - (k === labels[n] ? 1 : 0)) * upstream;
      }
    }
    return [new Tensor(grad, logits.shape)];
  });
}
