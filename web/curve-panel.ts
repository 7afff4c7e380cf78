/**
 * The headline chart: accuracy against ε for BatchNorm (P), BatchNorm (B) and
 * RobustNorm on the first test digits, computed in its own worker. FGSM by
 * default, PGD (the paper's stronger attack) on request. It follows the ε
 * slider: a new value (after a short pause, so dragging does not start a
 * computation per pixel) cancels the running computation and computes the
 * slider's ε first, then the rest of the grid nearest it first. Points
 * already computed for the same models and attack are kept.
 */
import type { View } from 'vega';
import { CURVE_ATTACKS, CURVE_EPS, SETTINGS, type CurveAttack, type CurvePoint } from './attack-core.js';
import { drawChart } from './charts.js';
import { el } from './state.js';
import { attackWorker, curveWorker, modelsKey } from './worker-client.js';

/** How many test digits the headline chart attacks at each ε. */
export const CURVE_DIGITS = 256;
/** How long the slider must rest before its value starts a computation (ms). */
export const CURVE_DEBOUNCE_MS = 300;

const ATTACK_TITLES: Record<CurveAttack, string> = {
  fgsm: 'FGSM (one step; fast)',
  pgd: 'PGD-20 (stronger; about 20× slower)',
};

/** One computation the chart started: its attack, the ε values it was to compute (the slider's first), and how it ended. */
export interface CurveRun {
  attack: CurveAttack;
  eps: number[];
  outcome: 'running' | 'done' | 'cancelled' | 'superseded' | 'failed';
}

/** The chart's computations and points, for the browser tests and the console. */
export const curveLog = {
  runs: [] as CurveRun[],
  /** The points known for the current models under `attack` (at `eps` only, when given). */
  points(attack: CurveAttack, eps?: number): CurvePoint[] {
    const known = cache.get(`${attack} | ${modelsKey()}`) ?? [];
    return eps === undefined ? known : known.filter((point) => Math.abs(point.eps - eps) < 1e-9);
  },
};
/** Points per "attack | models": kept across slider moves and attack switches. */
const cache = new Map<string, CurvePoint[]>();

const round = (value: number): number => Math.round(100 * value) / 100;

export function mountHeadline(root: HTMLElement, eps: HTMLInputElement): { start(): void } {
  const attack = el('select', { id: 'curve-attack', 'aria-label': 'the attack the chart uses' }, ...CURVE_ATTACKS.map((name) => el('option', { value: name }, ATTACK_TITLES[name])));
  const status = el('p', { id: 'curve-status', class: 'status', 'aria-live': 'polite' });
  const cancel = el('button', { id: 'curve-cancel', disabled: '' }, 'Cancel');
  const chartBox = el('div', { id: 'curve-chart', role: 'img', 'aria-label': 'accuracy against ε for the three settings' });
  const caption = el('p', { id: 'curve-caption', 'aria-live': 'polite' });
  const again = el('button', { id: 'curve-run' }, 'Recompute for the current models');
  const title = el('h3', {});
  root.append(title, el('div', { class: 'row' }, el('label', {}, 'attack ', attack), again, cancel), chartBox, caption, status);

  let view: View | null = null;
  let viewReady: Promise<View> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let current: (CurveRun & { key: string }) | null = null;
  const sliderEps = (): number => round(Number(eps.value));
  const chosen = (): CurveAttack => attack.value as CurveAttack;
  const name = (which: CurveAttack): string => (which === 'pgd' ? 'PGD-20' : 'FGSM');
  const known = (): CurvePoint[] => cache.get(`${chosen()} | ${modelsKey()}`) ?? [];
  const showTitle = (): void => {
    title.textContent = `Accuracy against ε (${name(chosen())}, the first ${CURVE_DIGITS} test digits)`;
  };

  const draw = async (): Promise<void> => {
    const points = known();
    const marked = Number(eps.value);
    chartBox.dataset.points = String(points.length);
    chartBox.dataset.attack = chosen();
    const at = (label: string, e: number): number | undefined => points.find((point) => point.setting === label && Math.abs(point.eps - e) < 1e-9)?.accuracy;
    const complete = [...new Set(points.map((point) => point.eps))].filter((e) => SETTINGS.every((setting) => at(setting.label, e) !== undefined));
    chartBox.setAttribute('aria-label', `accuracy against ε under ${name(chosen())} for the three settings: ${complete.sort((a, b) => a - b).map((e) => `ε ${e.toFixed(2)}: ${SETTINGS.map((setting) => `${(100 * at(setting.label, e)!).toFixed(0)}%`).join(', ')}`).join('; ') || 'not computed yet'}`);
    // the view is built once; later draws only replace its two datasets (building a vega view takes the page's thread for longer)
    viewReady ??= drawChart(chartBox, {
      width: 360, height: 180,
      layer: [
        { data: { name: 'points' }, mark: { type: 'line', point: true }, encoding: {
          x: { field: 'eps', type: 'quantitative', title: 'ε (paper units)', axis: { format: '.2f' } },
          y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy', scale: { domain: [0, 1] } },
          color: { field: 'setting', type: 'nominal', title: null, sort: SETTINGS.map((setting) => setting.label), scale: { domain: SETTINGS.map((setting) => setting.label), range: ['#d95f02', '#7570b3', '#1b9e77'] }, legend: { labelLimit: 280 } },
        } },
        { data: { name: 'marked' }, mark: { type: 'rule', strokeDash: [4, 3] }, encoding: { x: { field: 'eps', type: 'quantitative' } } },
      ],
    });
    view = await viewReady;
    await view.data('points', points.map((point) => ({ ...point }))).data('marked', [{ eps: marked }]).runAsync();
    // the caption reads the slider's ε when it is computed, else the computed ε nearest it
    const nearest = complete.reduce<number | undefined>((best, e) => (best === undefined || Math.abs(e - marked) < Math.abs(best - marked) ? e : best), undefined);
    if (nearest === undefined) {
      caption.textContent = '';
      return;
    }
    const [p, b, r] = SETTINGS.map((setting) => at(setting.label, nearest) as number) as [number, number, number];
    const pct = (value: number): string => `${(100 * value).toFixed(0)}%`;
    // differences under 3 points (8 of 256 digits) are within the counts' noise: said to be about equal
    const close = (x: number, y: number): boolean => Math.abs(x - y) < 0.03;
    const reading = nearest === 0
      ? 'At ε = 0 nothing is attacked: these are the clean accuracies.'
      : close(p, b) && close(p, r)
        ? 'The three are within 3 points of each other: on these small, briefly trained models the paper\'s gap does not show on average, although single digits like the one above show it. Training longer, or a larger model, is where the paper sees it.'
        : `${p < b - 0.03 && p < r - 0.03 ? 'Population statistics fall first, as the paper reports.' : 'Population statistics do not fall clearly first here, which differs from the paper.'}${r < b - 0.03 ? ' RobustNorm stays below batch statistics on these small models, unlike the paper\'s Table 1.' : ''}`;
    caption.textContent = `At ε = ${nearest.toFixed(2)}, BatchNorm (P) keeps ${pct(p)} of the digits, BatchNorm (B) ${pct(b)}, RobustNorm ${pct(r)} under ${name(chosen())}. ${reading}`;
  };

  /**
   * Redraws within 150 ms, once for however many points arrive meanwhile.
   * While the attack panel's worker is busy, the chart keeps its points but
   * holds its redraws and progress lines until the attack ends, so that the
   * page's thread stays free for the attack's progress and Cancel.
   */
  let redrawTimer: ReturnType<typeof setTimeout> | undefined;
  let held: { redraw: boolean; line: string | null } = { redraw: false, line: null };
  const redrawSoon = (): void => {
    if (attackWorker.busy) {
      held.redraw = true;
      return;
    }
    if (redrawTimer !== undefined) return;
    redrawTimer = setTimeout(() => {
      redrawTimer = undefined;
      void draw();
    }, 150);
  };
  const progressLine = (text: string): void => {
    if (attackWorker.busy) held.line = text;
    else status.textContent = text;
  };
  attackWorker.onIdle(() => {
    const { redraw, line } = held;
    held = { redraw: false, line: null };
    if (line !== null && current !== null) status.textContent = line;
    if (redraw) redrawSoon();
  });

  /** The ε values still to compute for the current models and attack: the slider's first, then the grid, nearest the slider first. */
  const missing = (): number[] => {
    const points = known();
    const target = sliderEps();
    const grid = [...new Set([...CURVE_EPS, target])];
    const done = (e: number): boolean => SETTINGS.every((setting) => points.some((point) => point.setting === setting.label && Math.abs(point.eps - e) < 1e-9));
    const distance = (e: number): number => Math.round(100 * Math.abs(e - target)); // in hundredths: 0.15 and 0.25 are equally near 0.2
    return grid.filter((e) => !done(e)).sort((a, b) => distance(a) - distance(b) || a - b);
  };

  /** Computes what is missing (cancelling a computation that started from another ε, attack or models). */
  const compute = async (): Promise<void> => {
    // synchronous up to the worker request, so that two computations never both start
    timer = undefined;
    const which = chosen();
    const key = `${which} | ${modelsKey()}`;
    const list = missing();
    const running = current;
    // keep a running computation of the same models and attack when the slider's ε is computed already or is what it computes next
    if (running !== null && running.key === key && (list[0] !== sliderEps() || running.eps.find((e) => list.includes(e)) === list[0])) return;
    if (running !== null) {
      running.outcome = 'superseded';
      current = null;
      curveWorker.cancel();
    }
    void draw();
    if (list.length === 0) {
      status.textContent = `${name(which)} on ${CURVE_DIGITS} test digits, every ε shown already computed; the dashed line is the slider's ε`;
      status.dataset.done = String(Date.now());
      return;
    }
    const run: CurveRun & { key: string } = { attack: which, eps: list, outcome: 'running', key };
    curveLog.runs.push(run);
    current = run;
    delete status.dataset.done;
    status.dataset.running = which;
    cancel.disabled = false;
    const started = performance.now();
    const plan = `${name(which)} on ${CURVE_DIGITS} digits, ε ${list[0]!.toFixed(2)} first${list.length > 1 ? `, then ${list.length - 1} more value${list.length > 2 ? 's' : ''} of ε` : ''}`;
    status.textContent = `${plan}: starting the worker…`;
    let answer;
    try {
      let said = 0;
      answer = await curveWorker.ask({ type: 'curve', count: CURVE_DIGITS, attack: which, eps: list }, (message) => {
        if (current !== run) return;
        // at most four times a second: an attack may be running beside, and each update takes the page's thread
        if (performance.now() - said > 250 || message.done === message.total) {
          said = performance.now();
          progressLine(`${plan}: batch ${message.done} of ${message.total}… (Cancel stops it; the points computed so far stay)`);
        }
        if (message.point !== undefined) {
          const points = cache.get(key) ?? [];
          points.push(message.point);
          cache.set(key, points);
          // redrawn when all three settings are known at that ε (a redraw takes the page's thread; an attack may be running beside)
          if (points.filter((point) => point.eps === message.point!.eps).length === SETTINGS.length) redrawSoon();
        }
      });
    } catch (error) {
      if (current === run) {
        run.outcome = 'failed';
        current = null;
        cancel.disabled = true;
        delete status.dataset.running;
        status.textContent = `the chart failed: ${(error as Error).message}`;
      }
      return;
    }
    if (current !== run) return; // superseded: the newer computation owns the status line
    current = null;
    cancel.disabled = true;
    delete status.dataset.running;
    if (answer === null || answer.type !== 'curve') {
      run.outcome = 'cancelled';
      status.textContent = 'cancelled (the points computed so far stay; move the slider or press Recompute to go on)';
      status.dataset.cancelled = String(Date.now());
      return;
    }
    await draw();
    run.outcome = 'done'; // after the chart shows every point
    status.textContent = `${name(which)} on ${CURVE_DIGITS} test digits at ${list.length} value${list.length > 1 ? 's' : ''} of ε, ${((performance.now() - started) / 1000).toFixed(1)} s (in a worker); the dashed line is the slider's ε`;
    status.dataset.done = String(Date.now());
  };

  const schedule = (delay: number): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => void compute(), delay);
  };
  cancel.addEventListener('click', () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    curveWorker.cancel();
  });
  eps.addEventListener('input', () => {
    // the dashed line follows (within 150 ms); the computation waits for the slider to rest
    if (view !== null) redrawSoon();
    schedule(CURVE_DEBOUNCE_MS);
  });
  attack.addEventListener('change', () => {
    showTitle();
    schedule(0);
  });
  again.addEventListener('click', () => schedule(0));
  showTitle();
  return { start: () => schedule(0) };
}
