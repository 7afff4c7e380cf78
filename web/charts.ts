/** Charts for the page: vega-lite specs (the library the report's figures use), drawn on canvas. */
import { changeset, parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Draws `spec` into `container` (replacing what was there) and returns the live view. */
export async function drawChart(container: HTMLElement, spec: TopLevelSpec): Promise<View> {
  container.replaceChildren();
  const view = new View(parse(compile(spec).spec), { renderer: 'canvas', container, hover: true });
  await view.runAsync();
  return view;
}

/** Appends rows to a named dataset of a live view and redraws it. */
export async function appendRows(view: View, dataset: string, rows: object[]): Promise<void> {
  await view.change(dataset, changeset().insert(rows)).runAsync();
}
