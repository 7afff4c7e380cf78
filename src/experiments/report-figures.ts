/**
 * The SVG figures of a report, built from a results file: one per experiment
 * that has a figure in the paper, plus bar charts of Tables 1 and 3, which are
 * easier to read as bars than as rows of numbers.
 */
import { ATTACK_NAMES } from '../attacks/registry.js';
import { groupedBars, heatmap, lines, renderSvg, type BarDatum, type CellDatum } from './charts.js';
import type { AccuracyRow } from './context.js';
import { accuracyInterval } from './intervals.js';
import type { ReproductionResults } from './results.js';

const ATTACK_LABELS: Record<string, string> = { clean: 'clean', fgsm: 'FGSM', bim: 'BIM', mim: 'MIM', cw: 'CW', pgd: 'PGD' };
const GROUPS = ['clean', ...ATTACK_NAMES].map((name) => ATTACK_LABELS[name] as string);

/** An accuracy in percent with its 95% interval over `images` images, in percent. */
function percentWithInterval(fraction: number, images: number): { value: number; low: number; high: number } {
  const { low, high } = accuracyInterval(fraction, images);
  return { value: 100 * fraction, low: 100 * low, high: 100 * high };
}

/** A row's clean and per-attack accuracies as bars of one series, with their intervals. */
function barsOf(row: AccuracyRow, series: string): BarDatum[] {
  const bars: BarDatum[] = [{ group: 'clean', series, ...percentWithInterval(row.clean, row.images) }];
  for (const [attack, accuracy] of Object.entries(row.attacks)) bars.push({ group: ATTACK_LABELS[attack] ?? attack, series, ...percentWithInterval(accuracy ?? 0, row.images) });
  return bars;
}

/** A point of a line chart with its interval. */
function point(x: number, fraction: number, images: number, series: string, panel: string) {
  const { value, low, high } = percentWithInterval(fraction, images);
  return { x, y: value, low, high, series, panel };
}

const STATISTICS_LABELS: Record<string, string> = { population: 'P', batch: 'B', 'population-mean': 'μ̂_P' };

/** File name → SVG text. */
export async function renderFigures(results: ReproductionResults): Promise<Map<string, string>> {
  const figures = new Map<string, string>();
  // rows of results written before rows recorded their image counts
  const sweepImages = results.metadata.dataset.sweepImages;
  const add = async (file: string, spec: Parameters<typeof renderSvg>[0]) => figures.set(file, await renderSvg(spec));
  if (results.table1) {
    const bars = results.table1.rows.flatMap((row) => barsOf(row, `BatchNorm, ${STATISTICS_LABELS[row.statistics]}`));
    await add('table1.svg', groupedBars(`Table 1: population (P) vs batch (B) statistics, ε = ${results.table1.eps}`, bars, GROUPS));
  }
  if (results.table3) {
    await add('table3.svg', groupedBars('Table 3: normalizations without moving averages', results.table3.rows.flatMap((row) => barsOf(row, row.label)), GROUPS));
  }
  if (results.figure3) {
    const bars = results.figure3.rows.flatMap((row) => barsOf(row, `${row.model === 'bn' ? 'BN' : 'RN'} (${STATISTICS_LABELS[row.statistics]})`));
    await add('figure3.svg', groupedBars('Figure 3: RobustNorm vs BatchNorm', bars, GROUPS));
  }
  if (results.figure2) {
    const { clean, adversarial } = results.figure2;
    for (const statistic of ['mean', 'variance'] as const) {
      const cells: CellDatum[] = [];
      for (const [column, matrix] of [['clean batches', clean[statistic]], ['PGD batches', adversarial[statistic]]] as const) {
        matrix.forEach((channels, batch) => channels.forEach((value, channel) => cells.push({ channel, batch, value, column })));
      }
      const symbol = statistic === 'mean' ? 'μ_B − μ̂_P' : 'σ²_B − σ̂²_P';
      await add(`figure2-${statistic}.svg`, heatmap(`Figure 2: ${symbol} per channel of ${results.figure2.layer}`, cells, symbol));
    }
  }
  if (results.figure4) {
    const points = results.figure4.rows.flatMap((row) => [
      point(row.batchSize, row.clean, row.images ?? sweepImages, row.label, 'clean'),
      point(row.batchSize, row.pgd, row.images ?? sweepImages, row.label, 'PGD'),
    ]);
    await add('figure4.svg', lines('Figure 4: accuracy vs inference batch size', points, 'inference batch size', { logX: true, panels: ['clean', 'PGD'] }));
  }
  if (results.figure6) {
    const points = results.figure6.rows.flatMap(({ power, row }) =>
      Object.entries(row.attacks).map(([attack, accuracy]) => point(power, accuracy ?? 0, row.images, row.statistics === 'batch' ? 'RN' : 'RN w/ μ̂_P', ATTACK_LABELS[attack] ?? attack)),
    );
    const panels = [...new Set(points.map((point) => point.panel))];
    await add('figure6.svg', lines('Figure 6: RobustNorm power p', points, 'p', { logX: true, panels }));
  }
  if (results.figure7) {
    const points = results.figure7.rows.map((row) => point(row.eps, row.accuracy, row.images ?? sweepImages, row.label, ATTACK_LABELS[row.attack] ?? row.attack));
    const panels = [...new Set(points.map((point) => point.panel))];
    await add('figure7.svg', lines('Figure 7: accuracy vs ε (paper units)', points, 'ε (paper units)', { panels }));
  }
  return figures;
}
