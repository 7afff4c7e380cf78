/**
 * Attack: one test digit (or one drawn here) under FGSM, BIM, PGD, MIM or CW
 * at ε in the paper's units, against three settings side by side — BatchNorm
 * with population statistics (P), BatchNorm with the batch's statistics (B),
 * and RobustNorm. As in the paper, the digit is classified in a batch of 128
 * test digits (it and the 127 after it), and each setting is attacked
 * white-box with its own statistics. A batch mode draws Table 1 for the
 * loaded models on 256 test digits.
 */
import { argmaxOf, wilsonInterval, PAPER_TABLE1 } from '../src/internals.js';
import { ATTACK_NAMES, encodeCheckpoint, epsToPixel, type AttackName } from '../src/browser.js';
import { ATTACK_BATCH, attackDigit, CURVE_EPS, SETTINGS, verdict, type CurvePoint, type SettingResult } from './attack-core.js';
import type { WorkerAnswer, WorkerRequest } from './attack-worker.js';
import type { View } from 'vega';
import { drawChart } from './charts.js';
import { ACCURACY_DIGITS, digits, drawDigit, el, modelIn, nextFrame, testAccuracy, UNTRAINED_BELOW, type Slot } from './state.js';

/**
 * A worker (web/attack-worker.ts) that runs attacks off the page's main
 * thread, one request at a time, with progress; cancel() ends it (a fresh one
 * starts with the next request).
 */
class AttackWorker {
  private worker: Worker | null = null;
  private pending: { id: number; resolve(answer: WorkerAnswer | null): void; reject(error: Error): void; progress(done: number, total: number): void } | null = null;
  private nextId = 0;

  cancel(): void {
    this.worker?.terminate();
    this.worker = null;
    this.pending?.resolve(null);
    this.pending = null;
  }

  /** Sends `request` (with the page's current models) and resolves with the answer, or null when cancelled. */
  ask(request: DistributiveOmit<WorkerRequest, 'id' | 'models'>, progress: (done: number, total: number) => void): Promise<WorkerAnswer | null> {
    if (this.worker === null) {
      const worker = new Worker('attack-worker.js', { type: 'module' });
      worker.postMessage({ type: 'digits', test: digits().test });
      worker.onmessage = (event: MessageEvent<WorkerAnswer>) => {
        const answer = event.data;
        const pending = this.pending;
        if (pending === null || answer.id !== pending.id) return;
        if (answer.type === 'progress') return pending.progress(answer.done, answer.total);
        this.pending = null;
        if (answer.type === 'error') pending.reject(new Error(answer.message));
        else pending.resolve(answer);
      };
      worker.onerror = (event) => {
        this.pending?.reject(new Error(`the attack worker failed: ${event.message}`));
        this.pending = null;
        this.worker = null;
      };
      this.worker = worker;
    }
    this.pending?.resolve(null);
    const id = ++this.nextId;
    const models = { bn: modelBytes('bn'), rn: modelBytes('rn') };
    return new Promise((resolve, reject) => {
      this.pending = { id, resolve, reject, progress };
      this.worker!.postMessage({ ...request, id, models });
    });
  }
}
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const attackWorker = new AttackWorker();
/** The headline chart's own worker, so that it and an attack run side by side (on both cores). */
const curveWorker = new AttackWorker();
/** Table 1's worker. */
const tableWorker = new AttackWorker();

/** The page's current models as checkpoint bytes, keyed so the worker rebuilds a model only when it changed. */
function modelBytes(slot: Slot): { bytes: Uint8Array; key: string } {
  const entry = modelIn(slot);
  return { bytes: encodeCheckpoint(entry.model, { model: entry.config, seed: 0, training: {} }), key: `${slot} ${entry.origin} ${entry.config.architecture} ${entry.steps} ${modelGeneration(entry)}` };
}
const generations = new WeakMap<object, number>();
let generation = 0;
function modelGeneration(entry: object): number {
  if (!generations.has(entry)) generations.set(entry, ++generation);
  return generations.get(entry) as number;
}

/**
 * Runs attackDigit in the attack worker, so that the page's main thread stays
 * free; null when cancelled. Where workers cannot start, it runs here, on the
 * page (then the page is busy until it ends).
 */
async function attackOffThePage(request: { index: number; attack: AttackName; eps: number; drawn: Float32Array | null; drawnLabel: number | null }, progress: (done: number, total: number) => void): Promise<{ results: SettingResult[]; accuracies: number[] } | null> {
  if (typeof Worker === 'undefined') {
    const results = attackDigit(request.index, request.attack, request.eps, request.drawn, 0, request.drawnLabel);
    return { results, accuracies: SETTINGS.map((setting) => testAccuracy(modelIn(setting.slot), setting.statistics)) };
  }
  const answer = await attackWorker.ask({ type: 'attack', ...request }, progress);
  return answer === null || answer.type !== 'result' ? null : { results: answer.results, accuracies: answer.accuracies };
}

/** How many test digits the headline chart attacks at each ε. */
export const CURVE_DIGITS = 256;

/** The headline chart: accuracy against ε, FGSM, the three settings, with the slider's ε marked. */
function mountHeadline(root: HTMLElement, eps: HTMLInputElement): { refresh(): void } {
  const status = el('p', { id: 'curve-status', class: 'status', 'aria-live': 'polite' });
  const cancel = el('button', { id: 'curve-cancel', disabled: '' }, 'Cancel');
  const chartBox = el('div', { id: 'curve-chart', role: 'img', 'aria-label': 'accuracy against ε for the three settings under FGSM' });
  const caption = el('p', { id: 'curve-caption', 'aria-live': 'polite' });
  const again = el('button', { id: 'curve-run' }, 'Recompute for the current models');
  root.append(el('h3', {}, `Accuracy against ε (FGSM, the first ${CURVE_DIGITS} test digits)`), chartBox, caption, el('div', { class: 'row' }, again, cancel), status);
  let points: CurvePoint[] = [];
  let view: View | null = null;
  cancel.addEventListener('click', () => curveWorker.cancel());
  const draw = async (): Promise<void> => {
    const marked = Number(eps.value);
    view = await drawChart(chartBox, {
      width: 360, height: 180,
      layer: [
        { data: { values: points }, mark: { type: 'line', point: true }, encoding: {
          x: { field: 'eps', type: 'quantitative', title: 'ε (paper units)' },
          y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy', scale: { domain: [0, 1] } },
          color: { field: 'setting', type: 'nominal', title: null, sort: SETTINGS.map((setting) => setting.label), scale: { range: ['#d95f02', '#7570b3', '#1b9e77'] } },
        } },
        { data: { values: [{ eps: marked }] }, mark: { type: 'rule', strokeDash: [4, 3] }, encoding: { x: { field: 'eps', type: 'quantitative' } } },
      ],
    });
    const at = (label: string, e: number): number | undefined => points.find((point) => point.setting === label && Math.abs(point.eps - e) < 1e-9)?.accuracy;
    const nearest = CURVE_EPS.reduce((best, e) => (Math.abs(e - marked) < Math.abs(best - marked) ? e : best), CURVE_EPS[0] as number);
    const values = SETTINGS.map((setting) => at(setting.label, nearest));
    if (values.every((value) => value !== undefined)) {
      const [p, b, r] = values as number[];
      const pct = (value: number): string => `${(100 * value).toFixed(0)}%`;
      // differences under 3 points (8 of 256 digits) are within the counts' noise: said to be about equal
      const close = (x: number, y: number): boolean => Math.abs(x - y) < 0.03;
      const verdictText = close(p!, b!) && close(p!, r!)
        ? 'The three are within 3 points of each other: on these small, briefly trained models the paper\'s gap does not show on average, although single digits like the one above show it. Training longer, or a larger model, is where the paper sees it.'
        : `${p! < b! - 0.03 && p! < r! - 0.03 ? 'Population statistics fall first, as the paper reports.' : 'Population statistics do not fall clearly first here, which differs from the paper.'}${r! < b! - 0.03 ? ' RobustNorm stays below batch statistics on these small models, unlike the paper\'s Table 1.' : ''}`;
      caption.textContent = `At ε = ${nearest.toFixed(2)}, BatchNorm (P) keeps ${pct(p!)} of the digits, BatchNorm (B) ${pct(b!)}, RobustNorm ${pct(r!)}. ${verdictText}`;
    }
  };
  eps.addEventListener('input', () => {
    if (points.length > 0) void draw();
  });
  const api = {
    refresh(): void {
      status.textContent = 'attacking in a worker…';
      delete status.dataset.done;
      cancel.disabled = false;
      const started = performance.now();
      curveWorker.ask({ type: 'curve', count: CURVE_DIGITS }, (done, total) => {
        status.textContent = `FGSM at ${CURVE_EPS.length} values of ε on ${CURVE_DIGITS} digits: ${done} of ${total} points…`;
      }).then(async (answer) => {
        cancel.disabled = true;
        if (answer === null || answer.type !== 'curve') {
          status.textContent = 'cancelled';
          return;
        }
        points = answer.points;
        await draw();
        status.textContent = `FGSM on ${CURVE_DIGITS} test digits, ${((performance.now() - started) / 1000).toFixed(1)} s (in a worker); the dashed line is the slider's ε`;
        status.dataset.done = String(Date.now());
      }, (error: unknown) => {
        cancel.disabled = true;
        status.textContent = `the chart failed: ${(error as Error).message}`;
      });
    },
  };
  again.addEventListener('click', () => api.refresh());
  return api;
}

const SHORT = ['BatchNorm (P)', 'BatchNorm (B)', 'RobustNorm'];

/**
 * A sentence or two on what the three verdicts mean, from the verdicts shown
 * (and the models' test accuracy): what held, what was fooled, and whether
 * that is the paper's pattern or a surprise.
 */
export function explainAttack(verdicts: string[], attack: AttackName, accuracies: number[]): string {
  const names = (test: (text: string) => boolean): string[] => SHORT.filter((_, k) => test(verdicts[k] as string));
  const fooled = names((text) => /fooled|changed/.test(text));
  const held = names((text) => /still correct|kept/.test(text));
  const wrong = names((text) => text.startsWith('wrong already'));
  const list = (items: string[]): string => (items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);
  const parts: string[] = [];
  if (fooled.length > 0) parts.push(`${list(fooled)} ${fooled.length === 1 ? 'was' : 'were'} fooled`);
  if (held.length > 0) parts.push(`${list(held)} held`);
  if (wrong.length > 0) parts.push(`${list(wrong)} had it wrong before the attack`);
  let text = `${parts.join('; ')}.`;
  if (accuracies.some((accuracy) => accuracy < UNTRAINED_BELOW)) text += ' A model flagged untrained guesses; its verdict says nothing about normalization.';
  else if (fooled.length === 1 && fooled[0] === 'BatchNorm (P)' && held.length === 2) {
    text += ' This is the paper\'s effect: the same network, attacked with each setting\'s own statistics, is fooled only when it normalizes with the running averages from training; with the batch\'s own statistics (BatchNorm B, RobustNorm), the normalization follows the attacked batch. The Statistics shift panel below measures how far the attacked batch drifts.';
  } else if (fooled.length === 3) text += ' At this ε the attack is strong enough for all three small models; lower ε, or try another digit, to see where they differ.';
  else if (fooled.length === 0 && wrong.length === 0) {
    text += attack === 'cw'
      ? ' CW at the paper\'s settings (10 iterations, a step of ε/10) barely moves a digit: it minimizes the perturbation\'s size instead of spending the whole ε budget, so it is the weakest attack here, as in the paper\'s Table 1.'
      : ' At this ε the attack did not move this digit far enough for any setting; raise ε or try another digit.';
  } else if (fooled.includes('RobustNorm') && held.includes('BatchNorm (B)')) text += ' Here RobustNorm did worse than BatchNorm with batch statistics, which the paper does not predict; one digit is one sample, Table 1 below counts many.';
  return text;
}

/** The last attack's results (for the browser tests and the console). */
export const attackLog: { last: SettingResult[] | null } = { last: null };

export { ATTACK_BATCH, SETTINGS, attackDigit, verdict, type Setting, type SettingResult } from './attack-core.js';

/** The attack panel's handle: open it on a test digit and run the attack at once (the first screen). */
export interface AttackPanel {
  openOn(index: number, attack: AttackName, epsPaper: number): void;
}

export function mountAttackPanel(root: HTMLElement): AttackPanel {
  const index = el('input', { id: 'attack-index', type: 'number', min: '0', max: '1999', step: '1', value: '0', 'aria-label': 'test digit index' });
  const randomDigit = el('button', { id: 'attack-random' }, 'random digit');
  const attack = el('select', { id: 'attack-name', 'aria-label': 'attack' }, ...ATTACK_NAMES.map((name) => el('option', { value: name }, name.toUpperCase())));
  attack.value = 'pgd';
  const eps = el('input', { id: 'attack-eps', type: 'range', min: '0', max: '1', step: '0.01', value: '0.2', 'aria-label': 'ε, the attack budget in the paper\'s units' });
  const epsLabel = el('span', { id: 'attack-eps-label' });
  const run = el('button', { id: 'attack-run' }, 'Attack');
  const cancel = el('button', { id: 'attack-cancel', disabled: '' }, 'Cancel');
  cancel.addEventListener('click', () => attackWorker.cancel());
  const status = el('p', { id: 'attack-status', class: 'status', 'aria-live': 'polite' });
  const clean = el('canvas', { class: 'digit', id: 'attack-clean', role: 'img', 'aria-label': 'the chosen test digit' });
  const draw = el('canvas', { class: 'draw', width: '140', height: '140', role: 'img', tabindex: '0', 'aria-label': 'drawing pad: draw a digit with the mouse or a finger, or from the keyboard: arrow keys move the pen, Space lifts or lowers it' });
  const useDrawn = el('input', { type: 'checkbox', id: 'attack-use-drawn' });
  const drawnLabel = el('select', { id: 'attack-drawn-label', 'aria-label': 'which digit the drawing is' },
    el('option', { value: '' }, 'not saying: use each model\'s clean prediction'), ...Array.from({ length: 10 }, (_, d) => el('option', { value: String(d) }, `it is a ${d}`)));
  const clear = el('button', { id: 'attack-clear' }, 'clear');
  const results = el('div', { id: 'attack-results', class: 'panel-grid' });
  const caption = el('p', { id: 'attack-caption', 'aria-live': 'polite' });
  const chartBox = el('div', { id: 'attack-chart' });
  const tableRun = el('button', { id: 'table1-run' }, 'Table 1 on 256 test digits (all five attacks)');
  const tableCancel = el('button', { id: 'table1-cancel', disabled: '' }, 'Cancel');
  tableCancel.addEventListener('click', () => tableWorker.cancel());
  const tableBox = el('div', { id: 'table1' });
  const headlineBox = el('div', { id: 'curve' });
  root.append(
    el('div', { class: 'row' }, 'test digit ', index, randomDigit, ' attack ', attack, ' ε ', eps, epsLabel, run, cancel),
    el('div', { class: 'panel-grid' },
      el('figure', {}, clean, el('figcaption', {}, 'clean digit')),
      el('figure', {}, draw, el('figcaption', {}, el('label', {}, useDrawn, ' attack my drawing '), clear, el('br'), drawnLabel))),
    status, caption, results, chartBox, headlineBox,
    el('div', { class: 'row' }, tableRun, tableCancel), tableBox,
  );

  const headline = mountHeadline(headlineBox, eps);
  const showEps = (): void => {
    const paper = Number(eps.value);
    epsLabel.textContent = `${paper.toFixed(2)} (paper units) = ${epsToPixel(paper, 'paper').toFixed(3)} in pixels, ${(255 * epsToPixel(paper, 'paper')).toFixed(1)}/255`;
  };
  /** The index box's digit, or a message saying why it is not one. */
  const chosenIndex = (): number | string => {
    const count = digits().test.count;
    const value = Number(index.value);
    if (index.value.trim() === '' || !Number.isInteger(value) || value < 0 || value >= count) return `the test digit index must be a whole number from 0 to ${count - 1}, got "${index.value}"`;
    return value;
  };
  const showDigit = (): void => {
    const i = chosenIndex();
    if (typeof i === 'string') {
      status.textContent = i;
      status.dataset.error = 'index';
      clean.getContext('2d')?.clearRect(0, 0, clean.width, clean.height);
      return;
    }
    delete status.dataset.error;
    const test = digits().test;
    drawDigit(clean, test.images.subarray(i * 784, (i + 1) * 784));
    clean.setAttribute('aria-label', `test digit ${i}, a ${test.labels[i]}`);
  };
  eps.addEventListener('input', showEps);
  index.addEventListener('change', showDigit);
  randomDigit.addEventListener('click', () => {
    index.value = String(Math.floor(Math.random() * digits().test.count));
    showDigit();
  });
  showEps();
  queueMicrotask(() => {
    if (document.readyState !== 'loading') showDigit();
  });
  root.addEventListener('digits-ready', showDigit);

  // Drawing: white strokes on black, downsampled to 28×28 by averaging 5×5 blocks.
  const pen = draw.getContext('2d') as CanvasRenderingContext2D;
  pen.fillStyle = '#000';
  pen.fillRect(0, 0, 140, 140);
  let drawing = false;
  draw.addEventListener('pointerdown', (event) => {
    drawing = true;
    useDrawn.checked = true;
    pen.beginPath();
    pen.moveTo(event.offsetX, event.offsetY);
  });
  draw.addEventListener('pointermove', (event) => {
    if (!drawing) return;
    pen.strokeStyle = '#fff';
    pen.lineWidth = 11;
    pen.lineCap = 'round';
    pen.lineTo(event.offsetX, event.offsetY);
    pen.stroke();
  });
  window.addEventListener('pointerup', () => {
    drawing = false;
  });
  // the keyboard: arrows move a pen by 7 px (a fifth of a digit pixel ×5), drawing while it is down (Space toggles)
  const keyPen = { x: 70, y: 70, down: false };
  draw.addEventListener('keydown', (event) => {
    const moves: Record<string, [number, number]> = { ArrowLeft: [-7, 0], ArrowRight: [7, 0], ArrowUp: [0, -7], ArrowDown: [0, 7] };
    if (event.key === ' ') {
      keyPen.down = !keyPen.down;
      if (keyPen.down) useDrawn.checked = true;
      status.textContent = `pen ${keyPen.down ? 'down: arrows draw' : 'up: arrows move'} (at ${keyPen.x}, ${keyPen.y})`;
    } else if (moves[event.key] !== undefined) {
      const [dx, dy] = moves[event.key] as [number, number];
      const next = { x: Math.min(133, Math.max(7, keyPen.x + dx)), y: Math.min(133, Math.max(7, keyPen.y + dy)) };
      if (keyPen.down) {
        pen.strokeStyle = '#fff';
        pen.lineWidth = 11;
        pen.lineCap = 'round';
        pen.beginPath();
        pen.moveTo(keyPen.x, keyPen.y);
        pen.lineTo(next.x, next.y);
        pen.stroke();
      }
      Object.assign(keyPen, next);
    } else return;
    event.preventDefault();
  });
  clear.addEventListener('click', () => {
    pen.fillRect(0, 0, 140, 140);
    useDrawn.checked = false;
  });
  const drawnDigit = (): Float32Array => {
    const pixels = pen.getImageData(0, 0, 140, 140).data;
    const digit = new Float32Array(784);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        let total = 0;
        for (let dy = 0; dy < 5; dy++) for (let dx = 0; dx < 5; dx++) total += pixels[4 * ((5 * y + dy) * 140 + 5 * x + dx)] as number;
        digit[28 * y + x] = total / (25 * 255);
      }
    }
    return digit;
  };

  run.addEventListener('click', async () => {
    const i = useDrawn.checked ? 0 : chosenIndex();
    const refuse = (message: string, kind: string): void => {
      caption.textContent = '';
      results.replaceChildren();
      chartBox.replaceChildren();
      status.textContent = message;
      status.dataset.error = kind;
    };
    if (typeof i === 'string') return refuse(i, 'index');
    if (!(Number(eps.value) > 0)) return refuse('ε is 0: an attack with no budget cannot change a pixel, so there is nothing to show; move the ε slider above 0 (the paper uses 0.2 on MNIST).', 'eps');
    delete status.dataset.error;
    delete status.dataset.done;
    status.textContent = `running ${attack.value.toUpperCase()} against three settings (a batch of ${ATTACK_BATCH} each)…`;
    await nextFrame();
    const started = performance.now();
    try {
      const drawn = useDrawn.checked ? drawnDigit() : null;
      const stated = drawnLabel.value === '' ? null : Number(drawnLabel.value);
      run.disabled = true;
      cancel.disabled = false;
      const answer = await attackOffThePage({ index: i, attack: attack.value as AttackName, eps: Number(eps.value), drawn, drawnLabel: stated }, (done, total) => {
        status.textContent = `running ${attack.value.toUpperCase()} in a worker: ${done} of ${total} settings done… (Cancel stops it)`;
      });
      run.disabled = false;
      cancel.disabled = true;
      if (answer === null) {
        status.textContent = 'cancelled';
        status.dataset.cancelled = String(Date.now());
        return;
      }
      const { results: outcome, accuracies: flags } = answer;
      attackLog.last = outcome;
      const label = drawn === null ? (digits().test.labels[i] as number) : stated;
      const original = drawn ?? digits().test.images.subarray(i * 784, (i + 1) * 784);
      results.replaceChildren(...outcome.map((result, k) => {
        const adversarialCanvas = el('canvas', { class: 'digit' });
        const perturbation = el('canvas', { class: 'digit' });
        drawDigit(adversarialCanvas, result.adversarialImage);
        const epsPixel = epsToPixel(Number(eps.value), 'paper') || 1;
        drawDigit(perturbation, result.adversarialImage.map((value, p) => value - (original[p] as number)), -epsPixel, epsPixel);
        const before = argmaxOf(result.clean, 0, 10);
        const after = argmaxOf(result.adversarial, 0, 10);
        const judged = verdict(before, after, label);
        const accuracy = flags[k] as number;
        const untrained = accuracy < UNTRAINED_BELOW
          ? el('span', { class: 'wrong untrained' }, el('br'), `⚠ untrained: ${(100 * accuracy).toFixed(0)}% of the first ${ACCURACY_DIGITS} test digits right; its verdict means little (train it or load a checkpoint)`)
          : el('span', {}, el('br'), `${(100 * accuracy).toFixed(0)}% of the first ${ACCURACY_DIGITS} test digits right`);
        adversarialCanvas.setAttribute('role', 'img');
        adversarialCanvas.setAttribute('aria-label', `adversarial digit for ${result.label}, read as ${after}`);
        perturbation.setAttribute('role', 'img');
        perturbation.setAttribute('aria-label', `the perturbation ${attack.value.toUpperCase()} added for ${result.label}`);
        return el('figure', { 'data-setting': String(k), 'data-clean': String(before), 'data-adversarial': String(after), 'data-attacked-as': String(result.attackedAs), 'data-verdict': judged.text, 'data-accuracy': accuracy.toFixed(3) },
          el('div', { class: 'row' }, perturbation, adversarialCanvas),
          el('figcaption', {}, el('strong', {}, result.label), el('br'), `clean → ${before} (${(100 * (result.clean[before] as number)).toFixed(1)}%), attacked → ${after} (${(100 * (result.adversarial[after] as number)).toFixed(1)}%) `, el('span', { class: judged.good ? 'right' : 'wrong' }, judged.text), untrained,
            el('br'), 'perturbation (×', String(Math.round(1 / epsPixel)), ', gray = 0) · adversarial digit'));
      }));
      const subject = drawn === null ? ` on test digit ${i} (a ${label}), attacked as a ${label}`
        : stated === null ? ' on your drawing, attacked against each model\'s clean prediction (say which digit it is for verdicts against the truth)'
          : ` on your drawing, attacked as the ${stated} you said it is`;
      status.textContent = `${attack.value.toUpperCase()} at ε = ${Number(eps.value).toFixed(2)}${subject}: ${((performance.now() - started) / 1000).toFixed(1)} s`;
      caption.textContent = explainAttack(outcome.map((result) => verdict(argmaxOf(result.clean, 0, 10), argmaxOf(result.adversarial, 0, 10), label).text), attack.value as AttackName, flags);
      status.dataset.done = String(Date.now());
      await drawChart(chartBox, {
        width: 150, height: 120,
        data: { values: outcome.flatMap((result) => result.clean.flatMap((p, digit) => [{ setting: result.label, digit, input: 'clean', probability: p }, { setting: result.label, digit, input: 'attacked', probability: result.adversarial[digit] }])) },
        mark: 'bar',
        encoding: {
          column: { field: 'setting', type: 'nominal', title: null, sort: SETTINGS.map((setting) => setting.label) },
          x: { field: 'digit', type: 'ordinal' },
          xOffset: { field: 'input' },
          y: { field: 'probability', type: 'quantitative', scale: { domain: [0, 1] } },
          color: { field: 'input', type: 'nominal', title: null },
        },
      });
    } catch (error) {
      run.disabled = false;
      cancel.disabled = true;
      status.textContent = `the attack failed: ${(error as Error).message}`;
      status.dataset.error = 'attack';
      console.error(error);
    }
  });

  tableRun.addEventListener('click', async () => {
    if (!(Number(eps.value) > 0)) {
      tableBox.textContent = 'ε is 0: no attack to tabulate; move the ε slider above 0.';
      return;
    }
    const count = 256;
    const epsPaper = Number(eps.value); // the table's ε, kept if the slider moves while it runs
    tableRun.disabled = true;
    tableCancel.disabled = false;
    tableBox.textContent = `Table 1 in a worker: ${SETTINGS.length} settings × ${ATTACK_NAMES.length} attacks on ${count} digits…`;
    let answer: WorkerAnswer | null;
    try {
      answer = await tableWorker.ask({ type: 'table', count, eps: epsPaper, attacks: [...ATTACK_NAMES] }, (done, total) => {
        tableBox.textContent = `Table 1 in a worker: ${done} of ${total} cells done… (Cancel stops it)`;
      });
    } catch (error) {
      answer = null;
      tableBox.textContent = `Table 1 failed: ${(error as Error).message}`;
    }
    tableRun.disabled = false;
    tableCancel.disabled = true;
    if (answer === null || answer.type !== 'table') {
      if (answer === null && !tableBox.textContent?.startsWith('Table 1 failed')) tableBox.textContent = 'Table 1 cancelled';
      return;
    }
    const rows = answer.rows;
    const cell = (accuracy: number): string => {
      const interval = wilsonInterval(Math.round(accuracy * count), count);
      return `${(100 * accuracy).toFixed(1)} [${(100 * interval.low).toFixed(0)}, ${(100 * interval.high).toFixed(0)}]`;
    };
    const paper = PAPER_TABLE1.mnist;
    tableBox.replaceChildren(el('table', {},
      el('tr', {}, el('th', { class: 'left' }, `accuracy %, ${count} test digits, ε = ${epsPaper.toFixed(2)} (95% Wilson interval)`), el('th', {}, 'clean'), ...ATTACK_NAMES.map((name) => el('th', {}, name.toUpperCase()))),
      ...rows.map((row) => el('tr', {}, el('td', { class: 'left' }, row.label), el('td', {}, cell(row.clean)), ...ATTACK_NAMES.map((name) => el('td', {}, cell(row.attacks[name] as number))))),
      ...paper.rows.map((row) => el('tr', {}, el('td', { class: 'left' }, `the paper: BatchNorm ${row.row}`), el('td', {}, row.clean.toFixed(1)), ...ATTACK_NAMES.map((name) => el('td', {}, row[name].toFixed(1))))),
      el('tr', {}, el('td', { class: 'left', colspan: String(2 + ATTACK_NAMES.length) }, `The paper's rows: ${paper.source}, ${paper.settings}. This page's models are small and briefly trained; compare the pattern (B above P), not the values.`)),
    ));
  });
  return {
    openOn(i: number, name: AttackName, epsPaper: number): void {
      index.value = String(i);
      attack.value = name;
      eps.value = String(epsPaper);
      showEps();
      showDigit();
      run.click();
      if (typeof Worker !== 'undefined') headline.refresh();
    },
  };
}
