/**
 * Exercise 1: softmax over the last axis with broadcasting.
 *
 *   softmax(x)_ij = exp(x_ij − m_i) / Σ_k exp(x_ik − m_i),   m_i = max_k x_ik
 *
 * (Subtracting the row maximum m_i changes nothing mathematically but keeps
 * exp() from overflowing.) Use only tensor methods: max(axis, keepDim),
 * sub, exp, sum(axis, keepDim), div. No loops.
 *
 * Check: npm run lesson -- 1 --check
 */
import type { Tensor } from '../../src/index.js';

export function softmax(x: Tensor): Tensor {
  // TODO: replace this line with your answer.
  throw new Error(`softmax is not written yet (input ${x.shape})`);
}
