/**
 * Statistics shift, the paper's Figure 2 live: for one batch of 128 test
 * digits, clean and under PGD (made against the BatchNorm model with
 * population statistics), the last BatchNorm layer's per-channel batch mean
 * and variance minus its running estimates, as heat maps.
 */
import { batchOf, Random, runAttack } from '../src/browser.js';
import { paperAttackSettings, batchShift, lastBatchNorm } from '../src/internals.js';
import { ATTACK_BATCH } from './attack-panel.js';
import { drawChart } from './charts.js';
import { digits, el, modelIn, nextFrame } from './state.js';

/** Mean |Δμ| and |Δσ²| over channels, clean and under PGD, for the batch starting at test digit `first`. */
export function measureShift(first: number, epsPaper: number): { layer: string; rows: Array<{ input: string; statistic: string; channel: number; shift: number }> } {
  const { model } = modelIn('bn');
  const { layer, name } = lastBatchNorm(model);
  const test = digits().test;
  const { images, labels } = batchOf(test, Array.from({ length: ATTACK_BATCH }, (_, i) => (first + i) % test.count));
  model.eval();
  model.setNormStatistics('population');
  const attacked = runAttack('pgd', model, images, labels, paperAttackSettings(epsPaper), new Random(0));
  const rows: Array<{ input: string; statistic: string; channel: number; shift: number }> = [];
  for (const [input, batch] of [['clean', images], ['PGD', attacked]] as const) {
    const shift = batchShift(model, layer, batch);
    shift.mean.forEach((value, channel) => rows.push({ input, statistic: 'μ_B − μ̂ (mean)', channel, shift: value }));
    shift.variance.forEach((value, channel) => rows.push({ input, statistic: 'σ²_B − σ̂² (variance)', channel, shift: value }));
  }
  return { layer: name, rows };
}

export function mountShiftPanel(root: HTMLElement): void {
  const run = el('button', { id: 'shift-run' }, 'Measure on a batch of 128 test digits');
  const status = el('p', { id: 'shift-status', class: 'status', 'aria-live': 'polite' }, 'Uses the BatchNorm model from the Train panel and ε from the Attack panel.');
  const chartBox = el('div', { id: 'shift-chart', role: 'img', 'aria-label': 'heat maps of each channel\'s batch mean and variance minus the running ones, clean and under PGD' });
  const caption = el('p', { id: 'shift-caption', 'aria-live': 'polite' });
  root.append(el('div', { class: 'row' }, run), status, caption, chartBox);
  run.addEventListener('click', async () => {
    status.textContent = 'attacking with PGD and measuring…';
    await nextFrame();
    try {
      const epsPaper = Number((document.getElementById('attack-eps') as HTMLInputElement | null)?.value ?? 0.2);
      const { layer, rows } = measureShift(0, epsPaper);
      const meanAbs = (input: string): string => {
        const values = rows.filter((row) => row.input === input && row.statistic.startsWith('μ')).map((row) => Math.abs(row.shift));
        return (values.reduce((sum, value) => sum + value, 0) / values.length).toFixed(3);
      };
      const ratio = Number(meanAbs('PGD')) / Number(meanAbs('clean'));
      status.textContent = `layer ${layer}, ε = ${epsPaper.toFixed(2)}: mean |Δμ| clean ${meanAbs('clean')}, under PGD ${meanAbs('PGD')}`;
      caption.textContent = Number.isFinite(ratio)
        ? `The attacked batch's mean drifted ${ratio.toFixed(1)}× ${ratio >= 1 ? 'further from' : 'as far from'} the running mean as a clean batch's. BatchNorm with population statistics subtracts the running mean regardless, so ${ratio > 1.5 ? 'that drift passes on to the next layer; with the batch\'s own statistics it is subtracted away' : 'here the drift is small, and the attack works by other means'}. Each heat map's colours are scaled by the largest |shift| in its row (the legend), symmetric around 0: red above the running value, blue below.`
        : '';
      const largest = new Map<string, number>();
      for (const row of rows) largest.set(row.statistic, Math.max(largest.get(row.statistic) ?? 0, Math.abs(row.shift)));
      for (const row of rows) (row as { scaled?: number }).scaled = row.shift / ((largest.get(row.statistic) as number) || 1);
      status.dataset.done = String(Date.now());
      await drawChart(chartBox, {
        data: { values: rows },
        facet: { row: { field: 'statistic', type: 'nominal', title: null } },
        resolve: { scale: { color: 'independent' } },
        spec: {
          width: 640, height: 60,
          mark: 'rect',
          encoding: {
            x: { field: 'channel', type: 'ordinal', title: 'channel' },
            y: { field: 'input', type: 'nominal', title: null },
            color: { field: 'scaled', type: 'quantitative', scale: { scheme: 'redblue', domain: [-1, 1], reverse: true }, title: 'shift ÷ its row\'s largest |shift|' },
            tooltip: [{ field: 'channel' }, { field: 'shift', format: '.4f' }],
          },
        },
      });
    } catch (error) {
      status.textContent = `failed: ${(error as Error).message}`;
      console.error(error);
    }
  });
}
