/**
 * The report's figures, as SVG: each is a small Vega-Lite specification
 * rendered headless by Vega (no browser, no canvas).
 */
import type { TopLevelSpec } from 'vega-lite';

/**
 * Renders a Vega-Lite spec to an SVG string. Vega and Vega-Lite are loaded
 * here, on first use, not when the library is imported: they take ≈0.36 s to
 * load, about half of importing all of robustnorm, and only the report needs them.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Vega-Lite checks a spec when it compiles it; its TypeScript types are too
 * intricate to follow specs assembled from parts, so they are typed here once.
 */
function vegaLite(spec: object): TopLevelSpec {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', ...spec } as unknown as TopLevelSpec;
}

const percent = { type: 'quantitative', title: 'accuracy (%)', scale: { domain: [0, 100] } } as const;

export interface BarDatum {
  /** Bars are grouped by `group` (an attack) and coloured by `series` (a model). */
  group: string;
  series: string;
  /** Percent. */
  value: number;
  /** The 95% interval of `value`, percent: drawn as an error bar. */
  low: number;
  high: number;
}

/** Grouped bars with 95% error bars: one group per attack, one bar per model. */
export function groupedBars(title: string, data: BarDatum[], groupOrder: string[]): TopLevelSpec {
  const x = { field: 'series', type: 'nominal', axis: null, sort: null };
  return vegaLite({
    title, data: { values: data },
    facet: { column: { field: 'group', type: 'nominal', title: null, sort: groupOrder } },
    spec: {
      width: { step: 14 }, height: 220,
      layer: [
        { mark: 'bar', encoding: { x, y: { field: 'value', ...percent }, color: { field: 'series', type: 'nominal', title: null, sort: null } } },
        { mark: { type: 'rule', color: 'black' }, encoding: { x, y: { field: 'low', ...percent }, y2: { field: 'high' } } },
      ],
    },
  });
}

export interface LineDatum {
  x: number;
  /** Percent. */
  y: number;
  /** The 95% interval of `y`, percent: drawn as an error bar. */
  low: number;
  high: number;
  series: string;
  /** One small chart per panel (an attack), or '' for one chart. */
  panel: string;
}

/** Lines with points and 95% error bars, one colour per series, optionally one panel per attack. */
export function lines(title: string, data: LineDatum[], xTitle: string, options: { logX?: boolean; panels?: string[] } = {}): TopLevelSpec {
  const x = { field: 'x', type: 'quantitative', title: xTitle, ...(options.logX ? { scale: { type: 'log', base: 2 } } : {}) };
  const color = { field: 'series', type: 'nominal', title: null, sort: null };
  const layer = {
    width: 220, height: 160,
    layer: [
      { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'y', ...percent }, color } },
      { mark: { type: 'rule', opacity: 0.6 }, encoding: { x, y: { field: 'low', ...percent }, y2: { field: 'high' }, color } },
    ],
  };
  const base = { title, data: { values: data } };
  if (options.panels === undefined) return vegaLite({ ...base, ...layer });
  return vegaLite({ ...base, facet: { field: 'panel', type: 'nominal', title: null, sort: options.panels }, columns: 2, spec: layer });
}

export interface CellDatum {
  channel: number;
  batch: number;
  value: number;
  /** e.g. "clean" or "PGD". */
  column: string;
}

/** A channels × batches heat map per column, with a diverging scale centred on 0. */
export function heatmap(title: string, data: CellDatum[], legend: string): TopLevelSpec {
  return vegaLite({
    title, data: { values: data },
    facet: { column: { field: 'column', type: 'nominal', title: null, sort: ['clean batches', 'PGD batches'] } },
    spec: {
      width: 320, height: 140,
      mark: 'rect',
      encoding: {
        x: { field: 'channel', type: 'ordinal', title: 'channel', axis: { labels: false, ticks: false } },
        y: { field: 'batch', type: 'ordinal', title: 'test batch', axis: { labels: false, ticks: false } },
        color: { field: 'value', type: 'quantitative', title: legend, scale: { scheme: 'redblue', domainMid: 0, reverse: true } },
      },
    },
  });
}
