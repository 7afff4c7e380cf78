/**
 * Identity: "no normalization". Lets a model be built with any norm, this one
 * included (the paper's "No Norm" rows).
 */
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/** The "no normalization" layer: returns its input. */
export class Identity extends Module {
  /** Returns `x` unchanged. */
  forward(x: Tensor): Tensor {
    return x;
  }
}
