/**
 * Attack: one test digit (or one drawn here) under FGSM, BIM, PGD, MIM or CW
 * at ε in the paper's units, against three settings side by side — BatchNorm
 * with population statistics (P), BatchNorm with the batch's statistics (B),
 * and RobustNorm. As in the paper, the digit is classified in a batch of 128
 * test digits (it and the 127 after it), and each setting is attacked
 * white-box with its own statistics. A batch mode draws Table 1 for the
 * loaded models on 256 test digits.
 */
import { argmaxOf, ATTACK_NAMES, batchOf, epsToPixel, evaluateRobustness, Random, runAttack, type AttackName, type NormStatistics, type Tensor } from '../src/browser.js';
import { paperAttackSettings } from '../src/attacks/registry.js';
import { wilsonInterval } from '../src/experiments/intervals.js';
import { PAPER_TABLE1 } from '../src/experiments/paper-results.js';
import { drawChart } from './charts.js';
import { digits, drawDigit, el, firstImageProbabilities, modelIn, nextFrame, type Slot } from './state.js';

/** The paper's inference batch. */
export const ATTACK_BATCH = 128;

/** A model setting the panel compares. */
export interface Setting {
  label: string;
  slot: Slot;
  statistics: NormStatistics;
}

export const SETTINGS: Setting[] = [
  { label: 'BatchNorm, population statistics (P)', slot: 'bn', statistics: 'population' },
  { label: 'BatchNorm, batch statistics (B)', slot: 'bn', statistics: 'batch' },
  { label: 'RobustNorm', slot: 'rn', statistics: 'batch' },
];

/** What one setting predicted for the chosen digit, clean and attacked. */
export interface SettingResult {
  label: string;
  clean: number[];
  adversarial: number[];
  adversarialImage: Float32Array;
}

/** Attacks the batch that starts at test digit `index` (or holds `drawn` in its place) against each setting. */
export function attackDigit(index: number, attack: AttackName, epsPaper: number, drawn: Float32Array | null = null, seed = 0): SettingResult[] {
  const test = digits().test;
  const indices = Array.from({ length: ATTACK_BATCH }, (_, i) => (index + i) % test.count);
  const { images, labels } = batchOf(test, indices);
  if (drawn !== null) (images.data as Float32Array).set(drawn, 0);
  const config = paperAttackSettings(epsPaper);
  return SETTINGS.map((setting) => {
    const { model } = modelIn(setting.slot);
    const clean = firstImageProbabilities(model, images, setting.statistics); // leaves the model in eval mode with these statistics
    const adversarial: Tensor = runAttack(attack, model, images, labels, config, new Random(seed));
    const attacked = firstImageProbabilities(model, adversarial, setting.statistics);
    return { label: setting.label, clean, adversarial: attacked, adversarialImage: Float32Array.from((adversarial.data as Float32Array).subarray(0, 784)) };
  });
}

export function mountAttackPanel(root: HTMLElement): void {
  const index = el('input', { id: 'attack-index', type: 'number', min: '0', value: '0' });
  const randomDigit = el('button', {}, 'random digit');
  const attack = el('select', { id: 'attack-name' }, ...ATTACK_NAMES.map((name) => el('option', { value: name }, name.toUpperCase())));
  attack.value = 'pgd';
  const eps = el('input', { id: 'attack-eps', type: 'range', min: '0', max: '1', step: '0.01', value: '0.2' });
  const epsLabel = el('span', { id: 'attack-eps-label' });
  const run = el('button', { id: 'attack-run' }, 'Attack');
  const status = el('p', { id: 'attack-status', class: 'status' });
  const clean = el('canvas', { class: 'digit', id: 'attack-clean' });
  const draw = el('canvas', { class: 'draw', width: '140', height: '140' });
  const useDrawn = el('input', { type: 'checkbox', id: 'attack-use-drawn' });
  const clear = el('button', {}, 'clear');
  const results = el('div', { id: 'attack-results', class: 'panel-grid' });
  const chartBox = el('div', { id: 'attack-chart' });
  const tableRun = el('button', { id: 'table1-run' }, 'Table 1 on 256 test digits (all five attacks)');
  const tableBox = el('div', { id: 'table1' });
  root.append(
    el('div', { class: 'row' }, 'test digit ', index, randomDigit, ' attack ', attack, ' ε ', eps, epsLabel, run),
    el('div', { class: 'panel-grid' },
      el('figure', {}, clean, el('figcaption', {}, 'clean digit')),
      el('figure', {}, draw, el('figcaption', {}, el('label', {}, useDrawn, ' attack my drawing '), clear))),
    status, results, chartBox,
    el('div', { class: 'row' }, tableRun), tableBox,
  );

  const showEps = (): void => {
    const paper = Number(eps.value);
    epsLabel.textContent = `${paper.toFixed(2)} (paper units) = ${epsToPixel(paper, 'paper').toFixed(3)} in pixels, ${(255 * epsToPixel(paper, 'paper')).toFixed(1)}/255`;
  };
  const showDigit = (): void => {
    const test = digits().test;
    const i = Math.max(0, Math.min(test.count - 1, Math.floor(Number(index.value))));
    drawDigit(clean, test.images.subarray(i * 784, (i + 1) * 784));
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
    status.textContent = `running ${attack.value.toUpperCase()} against three settings (a batch of ${ATTACK_BATCH} each)…`;
    await nextFrame();
    const started = performance.now();
    try {
      const i = Math.floor(Number(index.value));
      const drawn = useDrawn.checked ? drawnDigit() : null;
      const outcome = attackDigit(i, attack.value as AttackName, Number(eps.value), drawn);
      const label = drawn === null ? (digits().test.labels[i] as number) : null;
      const original = drawn ?? digits().test.images.subarray(i * 784, (i + 1) * 784);
      results.replaceChildren(...outcome.map((result, k) => {
        const adversarialCanvas = el('canvas', { class: 'digit' });
        const perturbation = el('canvas', { class: 'digit' });
        drawDigit(adversarialCanvas, result.adversarialImage);
        const epsPixel = epsToPixel(Number(eps.value), 'paper') || 1;
        drawDigit(perturbation, result.adversarialImage.map((value, p) => value - (original[p] as number)), -epsPixel, epsPixel);
        const before = argmaxOf(result.clean, 0, 10);
        const after = argmaxOf(result.adversarial, 0, 10);
        const verdict = el('span', { class: after === before ? 'right' : 'wrong' }, after === before ? 'prediction kept' : 'prediction changed');
        return el('figure', { 'data-setting': String(k), 'data-clean': String(before), 'data-adversarial': String(after) },
          el('div', { class: 'row' }, perturbation, adversarialCanvas),
          el('figcaption', {}, el('strong', {}, result.label), el('br'), `clean → ${before} (${(100 * (result.clean[before] as number)).toFixed(1)}%), attacked → ${after} (${(100 * (result.adversarial[after] as number)).toFixed(1)}%) `, verdict,
            el('br'), 'perturbation (×', String(Math.round(1 / epsPixel)), ', gray = 0) · adversarial digit'));
      }));
      status.textContent = `${attack.value.toUpperCase()} at ε = ${Number(eps.value).toFixed(2)}${label === null ? ' on your drawing' : ` on test digit ${i} (a ${label})`}: ${((performance.now() - started) / 1000).toFixed(1)} s`;
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
      status.textContent = `the attack failed: ${(error as Error).message}`;
      console.error(error);
    }
  });

  tableRun.addEventListener('click', async () => {
    const test = digits().test;
    const count = 256;
    const data = { name: 'mnist/test', images: test.images.subarray(0, count * 784), labels: test.labels.subarray(0, count), count, channels: 1, height: 28, width: 28 };
    const config = paperAttackSettings(Number(eps.value));
    const rows: Array<{ label: string; clean: number; attacks: Map<string, number> }> = [];
    for (const setting of SETTINGS) {
      const row = { label: setting.label, clean: 0, attacks: new Map<string, number>() };
      // one attack at a time, yielding in between, so that the page stays responsive
      for (const name of ATTACK_NAMES) {
        tableBox.textContent = `${setting.label}: ${name.toUpperCase()} on ${count} digits…`;
        await nextFrame();
        const result = evaluateRobustness(modelIn(setting.slot).model, data, { ...config, attacks: [name], batchSize: ATTACK_BATCH, statistics: setting.statistics, seed: 0 });
        row.clean = result.cleanAccuracy;
        row.attacks.set(name, (result.attacks[0] as { accuracy: number }).accuracy);
      }
      rows.push(row);
    }
    const cell = (accuracy: number): string => {
      const interval = wilsonInterval(Math.round(accuracy * count), count);
      return `${(100 * accuracy).toFixed(1)} [${(100 * interval.low).toFixed(0)}, ${(100 * interval.high).toFixed(0)}]`;
    };
    const paper = PAPER_TABLE1.mnist;
    tableBox.replaceChildren(el('table', {},
      el('tr', {}, el('th', { class: 'left' }, `accuracy %, ${count} test digits, ε = ${Number(eps.value).toFixed(2)} (95% Wilson interval)`), el('th', {}, 'clean'), ...ATTACK_NAMES.map((name) => el('th', {}, name.toUpperCase()))),
      ...rows.map((row) => el('tr', {}, el('td', { class: 'left' }, row.label), el('td', {}, cell(row.clean)), ...ATTACK_NAMES.map((name) => el('td', {}, cell(row.attacks.get(name) as number))))),
      ...paper.rows.map((row) => el('tr', {}, el('td', { class: 'left' }, `the paper: BatchNorm ${row.row}`), el('td', {}, row.clean.toFixed(1)), ...ATTACK_NAMES.map((name) => el('td', {}, row[name].toFixed(1))))),
      el('tr', {}, el('td', { class: 'left', colspan: String(2 + ATTACK_NAMES.length) }, `The paper's rows: ${paper.source}, ${paper.settings}. This page's models are small and briefly trained; compare the pattern (B above P), not the values.`)),
    ));
  });
}
