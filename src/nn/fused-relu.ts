/**
 * A ReLU folded into a norm layer's fused float32 loops (batchNorm2dFused,
 * robustNorm2dFused, layerNormFused), for the `relu(norm(x))` of every model here:
 *
 *   y = max(z, 0),  z = the norm's output   ⇒   ∂L/∂z = ∂L/∂y where z > 0, else 0
 *
 * The same definition, and the same functions, as the relu op
 * (`clampBits`, `maskBits` in kernels/elementwise-loops.ts; see there why they
 * work on the bits), called from the norms' channel loops: the results are
 * identical, bit for bit (test/norms-fused.test.ts). Folded in, the forward
 * pass clamps each run of z right after writing it, while it is in the
 * cache, and the backward pass masks ∂L/∂y run by run into the ∂L/∂x buffer,
 * where the norm's own backward then reads it. A step skips relu's two
 * passes over memory and its two arrays the size of the activation.
 */
import type { Tensor } from '../tensor/tensor.js';
import { ReLU } from './layers.js';
import type { Module } from './module.js';

/** A norm layer that can apply a ReLU to its output in its own loops. */
export interface FusesRelu {
  /** relu(this.forward(x)), computed together. */
  forwardRelu(x: Tensor): Tensor;
}

function fusesRelu(module: Module): module is Module & FusesRelu {
  return typeof (module as Partial<FusesRelu>).forwardRelu === 'function';
}

/** relu(norm(x)): folded into the norm's loops where the layer can (BatchNorm, RobustNorm, LayerNorm), else as two ops. */
export function normRelu(norm: Module, x: Tensor): Tensor {
  return fusesRelu(norm) ? norm.forwardRelu(x) : norm.forward(x).relu();
}

/**
 * x through `layers` in order, as a model lists them:
 * `chain(x, conv1, bn1, relu, conv2, bn2)` is bn2(conv2(relu(bn1(conv1(x))))).
 * Where a ReLU layer follows a norm that can fold it into its own loops
 * (BatchNorm, RobustNorm, LayerNorm), the two run as one ({@link normRelu}; on the
 * readable path, `setBackend('reference')`, as two layers again). So a model
 * says which layers it uses, and this function decides how they run.
 */
export function chain(x: Tensor, ...layers: Module[]): Tensor {
  let out = x;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i] as Module;
    if (layers[i + 1] instanceof ReLU) {
      out = normRelu(layer, out);
      i++;
    } else {
      out = layer.forward(out);
    }
  }
  return out;
}

