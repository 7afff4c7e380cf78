/**
 * Backward pass: one channel of 8 values through RobustNorm in training mode
 * (m = μ_B, r = r_B), and ∂L/∂x split into the three paths of
 * src/nn/robust-norm.ts (★): direct, through the mean, through the range.
 * The last column is the library's own rangeNormalizeBackward; the three
 * paths, computed here from the file's formulas, add up to it.
 */
import { Random } from '../src/browser.js';
import { rangeNormalizeBackward, rangeNormalizeForward } from '../src/internals.js';
import { el } from './state.js';

const M = 8;

/** The three paths of (★) for each value, and the library's ∂L/∂x. */
export function robustNormPaths(values: number[], gradNormalized: number[], power = 0.2, eps = 1e-5) {
  const x = Float64Array.from(values);
  const g = Float64Array.from(gradNormalized);
  const normalized = new Float64Array(M);
  const stats = rangeNormalizeForward(x, { meanFromBatch: true, scaleFromBatch: true, running: { mean: 0, range: 1 }, power, eps }, normalized);
  const library = rangeNormalizeBackward({ values: x, normalized, gradNormalized: g }, stats, new Float64Array(M));
  const d = stats.divisor;
  const sumGrad = g.reduce((sum, value) => sum + value, 0);
  const sumGradTimesNormalized = g.reduce((sum, value, j) => sum + value * (normalized[j] as number), 0);
  // ∂L/∂r = ∂L/∂d · p · r^(p−1), with ∂L/∂d = −(1/d) Σ_j ∂L/∂x̂_j · x̂_j
  const gradRange = stats.range > 0 ? (-sumGradTimesNormalized / d) * power * Math.pow(stats.range, power - 1) : 0;
  const rows = values.map((value, k) => {
    const rangeSlope = (value === stats.batchMax ? 1 / stats.maxCount : 0) - (value === stats.batchMin ? 1 / stats.minCount : 0);
    return {
      x: value, normalized: normalized[k] as number, grad: g[k] as number,
      direct: (g[k] as number) / d, // ∂L/∂x̂_k · 1/d
      mean: -sumGrad / d / M, // ∂L/∂m · 1/M
      range: gradRange * rangeSlope, // ∂L/∂r · ∂r/∂x_k
      library: library[k] as number,
    };
  });
  return { stats, rows };
}

export function mountBackwardPanel(root: HTMLElement): void {
  const random = new Random(7);
  const inputs = Array.from({ length: M }, (_, k) => el('input', { type: 'number', step: '0.1', value: (2 * random.normal()).toFixed(2), 'aria-label': `x${k + 1}, value ${k + 1} of the channel` }));
  const grads = Array.from({ length: M }, (_, k) => el('input', { type: 'number', step: '0.1', value: random.normal().toFixed(2), 'aria-label': `∂L/∂x̂${k + 1}, the gradient arriving at value ${k + 1}` }));
  const table = el('div', { id: 'backward-table' });
  const summary = el('p', { class: 'status' });
  root.append(
    el('p', {}, 'Edit the 8 values of one channel (x) and the gradient arriving from above (∂L/∂x̂). RobustNorm normalizes x̂ = (x − μ_B)/(r_B^p + ε) with p = 0.2; each x reaches the output directly, through the mean, and — only the largest and the smallest — through the range. ',
      el('a', { href: 'source/robust-norm.ts.txt', target: '_blank' }, 'The annotated derivation (src/nn/robust-norm.ts)'), '.'),
    el('div', { class: 'row' }, 'x ', ...inputs), el('div', { class: 'row' }, '∂L/∂x̂ ', ...grads), summary, table,
  );
  const fmt = (value: number): string => (Math.abs(value) < 5e-13 ? '0' : value.toFixed(5));
  const update = (): void => {
    const { stats, rows } = robustNormPaths(inputs.map((input) => Number(input.value)), grads.map((input) => Number(input.value)));
    summary.textContent = `μ_B = ${stats.batchMean.toFixed(4)}, max ${stats.batchMax}, min ${stats.batchMin}, r_B = ${stats.batchRange.toFixed(4)}, d = r^0.2 + ε = ${stats.divisor.toFixed(4)}`;
    table.replaceChildren(el('table', {},
      el('tr', {}, ...['k', 'x', 'x̂', '∂L/∂x̂', 'direct: ∂L/∂x̂ / d', 'mean: −Σ∂L/∂x̂ / (M·d)', 'range: ∂L/∂r · ∂r/∂x', 'sum of the paths', 'library ∂L/∂x'].map((text) => el('th', {}, text))),
      ...rows.map((row, k) => el('tr', {}, ...[String(k + 1), fmt(row.x), fmt(row.normalized), fmt(row.grad), fmt(row.direct), fmt(row.mean), fmt(row.range), fmt(row.direct + row.mean + row.range), fmt(row.library)].map((text) => el('td', {}, text)))),
    ));
  };
  for (const input of [...inputs, ...grads]) input.addEventListener('input', update);
  update();
}
