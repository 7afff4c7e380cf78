/**
 * Attack: one test digit (or one drawn here) under FGSM, BIM, PGD, MIM or CW
 * at ε in the paper's units, against three settings side by side — BatchNorm
 * with population statistics (P), BatchNorm with the batch's statistics (B),
 * and RobustNorm. As in the paper, the digit is classified in a batch of 128
 * test digits (it and the 127 after it), and each setting is attacked
 * white-box with its own statistics; a note beside the verdicts says what
 * the project's experiment 9 found about that whole-batch attack. Below, the
 * headline chart (curve-panel.ts) and Table 1 for the loaded models on 256
 * test digits. The attacks run in workers (worker-client.ts).
 */
import { argmaxOf, wilsonInterval, PAPER_TABLE1 } from '../src/internals.js';
import { ATTACK_NAMES, epsToPixel, type AttackName } from '../src/browser.js';
import { ATTACK_BATCH, attackDigit, SETTINGS, verdict, type SettingResult } from './attack-core.js';
import type { WorkerAnswer } from './attack-worker.js';
import type { View } from 'vega';
import { drawChart } from './charts.js';
import { mountHeadline } from './curve-panel.js';
import { ACCURACY_DIGITS, afterPaint, digits, drawDigit, el, mark, modelIn, nextFrame, testAccuracy, UNTRAINED_BELOW } from './state.js';
import { attackWorker, modelsKey, tableWorker, type Progress } from './worker-client.js';

/**
 * Runs attackDigit in the attack worker, so that the page's main thread stays
 * free; null when cancelled. Where workers cannot start, it runs here, on the
 * page (then the page is busy until it ends).
 */
async function attackOffThePage(request: { index: number; attack: AttackName; eps: number; drawn: Float32Array | null; drawnLabel: number | null }, progress: (message: Progress) => void): Promise<SettingResult[] | null> {
  if (typeof Worker === 'undefined') return attackDigit(request.index, request.attack, request.eps, request.drawn, 0, request.drawnLabel);
  mark('page: attack posted');
  const answer = await attackWorker.ask({ type: 'attack', ...request }, progress);
  if (answer === null || answer.type !== 'result') return null;
  for (const [name, at] of answer.marks) mark(name, at);
  mark('page: attack answered');
  return answer.results;
}

/** Each setting's accuracy on the first test digits, per models (measured in the attack worker after the verdicts are shown). */
const knownAccuracies = new Map<string, number[]>();
async function accuraciesOf(key: string): Promise<number[] | null> {
  const known = knownAccuracies.get(key);
  if (known !== undefined) return known;
  let accuracies: number[];
  if (typeof Worker === 'undefined') accuracies = SETTINGS.map((setting) => testAccuracy(modelIn(setting.slot), setting.statistics));
  else {
    const answer = await attackWorker.ask({ type: 'accuracies' });
    if (answer === null || answer.type !== 'accuracies') return null;
    accuracies = answer.accuracies;
  }
  knownAccuracies.set(key, accuracies);
  return accuracies;
}

const SHORT = ['BatchNorm (P)', 'BatchNorm (B)', 'RobustNorm'];

/**
 * A sentence or two on what the three verdicts mean, from the verdicts shown
 * (and the models' test accuracy): what held, what was fooled, and whether
 * that is the paper's pattern or a surprise.
 */
export function explainAttack(verdicts: string[], attack: AttackName, accuracies: number[] | null): string {
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
  if (accuracies?.some((accuracy) => accuracy < UNTRAINED_BELOW)) text += ' A model flagged untrained guesses; its verdict says nothing about normalization.';
  else if (fooled.length === 1 && fooled[0] === 'BatchNorm (P)' && held.length === 2) {
    text += ' This is the paper\'s effect: the same network, attacked with each setting\'s own statistics, is fooled only when it normalizes with the running averages from training; with the batch\'s own statistics (BatchNorm B, RobustNorm), the normalization follows the attacked batch. The Statistics shift panel below measures how far the attacked batch drifts. All 128 digits of the batch were attacked at once here; the note beside says what happens when only one is.';
  } else if (fooled.length === 3) text += ' At this ε the attack is strong enough for all three small models; lower ε, or try another digit, to see where they differ.';
  else if (fooled.length === 0 && wrong.length === 0) {
    text += attack === 'cw'
      ? ' CW at the paper\'s settings (10 iterations, a step of ε/10) barely moves a digit: it minimizes the perturbation\'s size instead of spending the whole ε budget, so it is the weakest attack here, as in the paper\'s Table 1.'
      : ' At this ε the attack did not move this digit far enough for any setting; raise ε or try another digit.';
  } else if (fooled.includes('RobustNorm') && held.includes('BatchNorm (B)')) text += ' Here RobustNorm did worse than BatchNorm with batch statistics, which the paper does not predict; one digit is one sample, Table 1 below counts many.';
  return text;
}

/**
 * The note beside the verdicts: the project's experiment 9 ("statistics or a
 * weaker attack?"), in plain words, with the quick reproduction's numbers
 * (docs/reproduction.md, "Experiment 9 on the quick models"; lesson 6b).
 */
function batchNote(): HTMLElement {
  return el('aside', { id: 'attack-batch-note', class: 'note', 'aria-label': 'note: statistics or a weaker attack?' },
    el('h3', {}, 'Statistics, or the whole batch attacked at once?'),
    el('p', {}, 'Here, as in the paper, the attack perturbs all 128 digits of the batch together. With batch statistics (BatchNorm B, RobustNorm) that also moves the batch\'s own mean and variance (or range), and normalizing with them undoes part of the attack.'),
    el('p', {}, 'The project\'s experiment 9 checked this on the resnet8 models of its quick reproduction (PGD-20 at ε 0.2). Attacking whole batches harder barely changed the picture: BatchNorm B kept 56% of 128 digits after 20 steps and 53% after 500, population statistics 4% and 3%. But when only one digit in a batch of 128 clean ones was attacked, the realistic case, BatchNorm B kept 0 of 16 such digits and RobustNorm 1 of 16: not clearly better than population statistics (16 digits leave a wide interval, 0–19% for B).'),
    el('p', {}, 'So the protection is real for whole attacked batches but needs many images of the batch attacked together, which a real attacker need not do. Lesson 6b and docs/reproduction.md have the details.'));
}

/** The last attack's results (for the browser tests and the console). */
export const attackLog: { last: SettingResult[] | null } = { last: null };

export { ATTACK_BATCH, SETTINGS, attackDigit, verdict, type Setting, type SettingResult } from './attack-core.js';

/** The attack panel's handle: open it on a test digit and run the attack at once (the first screen), and start the headline chart. */
export interface AttackPanel {
  /** Resolves when the verdicts are shown (or the attack failed or was cancelled). */
  openOn(index: number, attack: AttackName, epsPaper: number): Promise<void>;
  startChart(): void;
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
  let barChart: Promise<View> | undefined;
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
    status, caption, el('div', { class: 'with-note' }, results, batchNote()), chartBox, headlineBox,
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

  /** Runs the chosen attack and shows the verdicts (then each model's test accuracy, measured after them). */
  const attackNow = async (): Promise<void> => {
    const i = useDrawn.checked ? 0 : chosenIndex();
    const refuse = (message: string, kind: string): void => {
      caption.textContent = '';
      results.replaceChildren();
      chartBox.hidden = true;
      status.textContent = message;
      status.dataset.error = kind;
    };
    if (typeof i === 'string') return refuse(i, 'index');
    if (!(Number(eps.value) > 0)) return refuse('ε is 0: an attack with no budget cannot change a pixel, so there is nothing to show; move the ε slider above 0 (the paper uses 0.2 on MNIST).', 'eps');
    delete status.dataset.error;
    delete status.dataset.done;
    delete status.dataset.accuracies;
    status.textContent = `running ${attack.value.toUpperCase()} against three settings (a batch of ${ATTACK_BATCH} each)…`;
    await nextFrame();
    const started = performance.now();
    try {
      const drawn = useDrawn.checked ? drawnDigit() : null;
      const stated = drawnLabel.value === '' ? null : Number(drawnLabel.value);
      run.disabled = true;
      cancel.disabled = false;
      const key = modelsKey();
      const label = drawn === null ? (digits().test.labels[i] as number) : stated;
      const original = drawn ?? digits().test.images.subarray(i * 784, (i + 1) * 784);
      const epsPixel = epsToPixel(Number(eps.value), 'paper') || 1;
      /** A setting's figure: the clean prediction, and once its attack is done, the perturbation, the adversarial digit and the verdict. */
      const figureOf = (k: number, clean: number[], result: SettingResult | null): HTMLElement => {
        const setting = SETTINGS[k]!;
        const before = argmaxOf(clean, 0, 10);
        const cleanText = `clean → ${before} (${(100 * (clean[before] as number)).toFixed(1)}%)`;
        if (result === null) {
          return el('figure', { 'data-setting': String(k), 'data-clean': String(before), class: 'pending' },
            el('figcaption', {}, el('strong', {}, setting.label), el('br'), `${cleanText}, attacking…`));
        }
        const adversarialCanvas = el('canvas', { class: 'digit' });
        const perturbation = el('canvas', { class: 'digit' });
        drawDigit(adversarialCanvas, result.adversarialImage);
        drawDigit(perturbation, result.adversarialImage.map((value, p) => value - (original[p] as number)), -epsPixel, epsPixel);
        const after = argmaxOf(result.adversarial, 0, 10);
        const judged = verdict(before, after, label);
        adversarialCanvas.setAttribute('role', 'img');
        adversarialCanvas.setAttribute('aria-label', `adversarial digit for ${result.label}, read as ${after}`);
        perturbation.setAttribute('role', 'img');
        perturbation.setAttribute('aria-label', `the perturbation ${attack.value.toUpperCase()} added for ${result.label}`);
        return el('figure', { 'data-setting': String(k), 'data-clean': String(before), 'data-adversarial': String(after), 'data-attacked-as': String(result.attackedAs), 'data-verdict': judged.text },
          el('div', { class: 'row' }, perturbation, adversarialCanvas),
          el('figcaption', {}, el('strong', {}, result.label), el('br'), `${cleanText}, attacked → ${after} (${(100 * (result.adversarial[after] as number)).toFixed(1)}%)`, el('br'), el('span', { class: judged.good ? 'right' : 'wrong' }, judged.text),
            el('span', { class: 'accuracy' }, el('br'), `measuring its accuracy on the first ${ACCURACY_DIGITS} test digits…`),
            el('br'), 'perturbation (×', String(Math.round(1 / epsPixel)), ', gray = 0) · adversarial digit'));
      };
      // the clean predictions show as soon as they are known, then each setting's verdict as its attack ends
      const shown: Array<SettingResult | null> = SETTINGS.map(() => null);
      let cleans: number[][] | null = null;
      const outcome = await attackOffThePage({ index: i, attack: attack.value as AttackName, eps: Number(eps.value), drawn, drawnLabel: stated }, ({ done, total, clean, result }) => {
        status.textContent = `running ${attack.value.toUpperCase()} in a worker: ${done} of ${total} settings done… (Cancel stops it)`;
        if (clean !== undefined) cleans = clean;
        if (result !== undefined) shown[done - 1] = result;
        if (cleans !== null) results.replaceChildren(...cleans.map((c, k) => figureOf(k, c, shown[k] ?? null)));
      });
      run.disabled = false;
      cancel.disabled = true;
      if (outcome === null) {
        status.textContent = 'cancelled';
        status.dataset.cancelled = String(Date.now());
        results.querySelectorAll('figure.pending').forEach((figure) => figure.remove());
        return;
      }
      attackLog.last = outcome;
      results.replaceChildren(...outcome.map((result, k) => figureOf(k, result.clean, result)));
      const subject = drawn === null ? ` on test digit ${i} (a ${label}), attacked as a ${label}`
        : stated === null ? ' on your drawing, attacked against each model\'s clean prediction (say which digit it is for verdicts against the truth)'
          : ` on your drawing, attacked as the ${stated} you said it is`;
      status.textContent = `${attack.value.toUpperCase()} at ε = ${Number(eps.value).toFixed(2)}${subject}: ${((performance.now() - started) / 1000).toFixed(1)} s`;
      const verdicts = outcome.map((result) => verdict(argmaxOf(result.clean, 0, 10), argmaxOf(result.adversarial, 0, 10), label).text);
      const attackName = attack.value as AttackName;
      caption.textContent = explainAttack(verdicts, attackName, null);
      status.dataset.done = String(Date.now());
      mark('page: verdicts shown');
      await afterPaint(); // the verdicts are painted before the bar chart, the accuracies and (on the first screen) the backend choice take the page's thread
      // each model's test accuracy (the untrained flag) comes after the verdicts: measured once per models, off the page
      void accuraciesOf(key).then((accuracies) => {
        if (accuracies === null || attackLog.last !== outcome) return;
        results.querySelectorAll('figure').forEach((figure, k) => {
          const accuracy = accuracies[k] as number;
          figure.dataset.accuracy = accuracy.toFixed(3);
          figure.querySelector('.accuracy')?.replaceWith(accuracy < UNTRAINED_BELOW
            ? el('span', { class: 'wrong untrained' }, el('br'), `⚠ untrained: ${(100 * accuracy).toFixed(0)}% of the first ${ACCURACY_DIGITS} test digits right; its verdict means little (train it or load a checkpoint)`)
            : el('span', {}, el('br'), `${(100 * accuracy).toFixed(0)}% of the first ${ACCURACY_DIGITS} test digits right`));
        });
        caption.textContent = explainAttack(verdicts, attackName, accuracies);
        status.dataset.accuracies = accuracies.map((accuracy) => accuracy.toFixed(3)).join(' ');
      }, (error: unknown) => console.error(error));
      // the view is built once; later attacks replace its data (building a vega view takes the page's thread for longer)
      barChart ??= drawChart(chartBox, {
        width: 150, height: 120,
        data: { name: 'probabilities' },
        mark: 'bar',
        encoding: {
          column: { field: 'setting', type: 'nominal', title: null, sort: SETTINGS.map((setting) => setting.label) },
          x: { field: 'digit', type: 'ordinal' },
          xOffset: { field: 'input' },
          y: { field: 'probability', type: 'quantitative', scale: { domain: [0, 1] } },
          color: { field: 'input', type: 'nominal', title: null },
        },
      });
      chartBox.hidden = false;
      // resize(): the faceted view was laid out empty (0 × 0) and lays itself out again for the new data
      await (await barChart).resize().data('probabilities', outcome.flatMap((result) => result.clean.flatMap((p, digit) => [{ setting: result.label, digit, input: 'clean', probability: p }, { setting: result.label, digit, input: 'attacked', probability: result.adversarial[digit] }]))).runAsync();
    } catch (error) {
      run.disabled = false;
      cancel.disabled = true;
      status.textContent = `the attack failed: ${(error as Error).message}`;
      status.dataset.error = 'attack';
      console.error(error);
    }
  };
  run.addEventListener('click', () => void attackNow());

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
      answer = await tableWorker.ask({ type: 'table', count, eps: epsPaper, attacks: [...ATTACK_NAMES] }, ({ done, total }) => {
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
    openOn(i: number, name: AttackName, epsPaper: number): Promise<void> {
      index.value = String(i);
      attack.value = name;
      eps.value = String(epsPaper);
      showEps();
      showDigit();
      return attackNow();
    },
    startChart(): void {
      headline.start();
    },
  };
}
