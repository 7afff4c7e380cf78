/**
 * Train: small-cnn or resnet8 with BatchNorm or RobustNorm on the embedded
 * digits, live loss and accuracy, steps per second; pause, resume, reset;
 * download the checkpoint (safetensors, as the CLI writes it) or load one the
 * CLI trained (drag and drop, or pick a file).
 */
import { batches, decodeCheckpoint, encodeCheckpoint, trainStep, type Batch } from '../src/browser.js';
import { epochGenerators } from '../src/internals.js';
import type { View } from 'vega';
import { appendRows, drawChart } from './charts.js';
import { adopt, afterPaint, describeEntry, digits, el, freshModel, modelIn, nextFrame, state, TRAINING, type ModelEntry, type Slot } from './state.js';

/** One training step's numbers. */
export interface StepRecord {
  slot: Slot;
  step: number;
  loss: number;
  accuracy: number;
}

export const trainingLog: StepRecord[] = [];
let running = false;
let chart: View | null = null;

/** The next training batch of a model: epoch after epoch, shuffled as the CLI's epochs are (seed 0). */
function nextBatch(entry: ModelEntry): Batch {
  for (;;) {
    const next = entry.batches.next();
    if (!next.done) return next.value;
    entry.batches = batches(digits().train, { batchSize: TRAINING.batchSize, shuffle: epochGenerators(0, ++entry.epoch).shuffle });
  }
}

/** One SGD step (the library's trainStep) of the model in `slot`; returns its loss and batch accuracy. */
export function stepModel(slot: Slot): StepRecord {
  const entry = modelIn(slot);
  const { images, labels } = nextBatch(entry);
  const { loss, correct } = trainStep(entry.model, entry.optimizer, images, labels, { epoch: entry.epoch, step: entry.steps + 1 });
  entry.steps++;
  const record = { slot, step: entry.steps, loss, accuracy: correct / labels.length };
  trainingLog.push(record);
  return record;
}

/**
 * Throws "not a checkpoint" unless `bytes` start as a safetensors file does: a
 * little-endian 8-byte header length that fits in the file, then a JSON object.
 */
export function notACheckpoint(bytes: ArrayBuffer, file: string): void {
  const view = new DataView(bytes);
  const length = bytes.byteLength >= 8 ? Number(view.getBigUint64(0, true)) : -1;
  if (length < 2 || 8 + length > bytes.byteLength || view.getUint8(8) !== 0x7b /* { */) {
    throw new Error(`${file} is not a checkpoint: a .safetensors file (what \`robustnorm train\` and this page's Download write) starts with the length of a JSON header and then the header; this file's ${bytes.byteLength} bytes do not`);
  }
}

export function mountTrainPanel(root: HTMLElement, onModelsChanged: () => void): void {
  const architecture = el('select', { id: 'train-arch', 'aria-label': 'architecture' }, el('option', { value: 'small-cnn' }, 'small-cnn'), el('option', { value: 'resnet8' }, 'resnet8'));
  const norm = el('select', { id: 'train-norm', 'aria-label': 'normalization' }, el('option', { value: 'bn' }, 'BatchNorm'), el('option', { value: 'rn' }, 'RobustNorm'));
  const start = el('button', { id: 'train-start' }, 'Train');
  const pause = el('button', { id: 'train-pause' }, 'Pause');
  const reset = el('button', { id: 'train-reset' }, 'Reset');
  const download = el('button', { id: 'train-download' }, 'Download checkpoint (.safetensors)');
  const status = el('p', { id: 'train-status', class: 'status', 'aria-live': 'polite' }, 'not started');
  const fileInput = el('input', { id: 'checkpoint-file', type: 'file', accept: '.safetensors', 'aria-label': 'checkpoint file (.safetensors)' });
  const drop = el('div', { class: 'drop', id: 'checkpoint-drop' }, 'Drop a checkpoint the CLI wrote (runs/…/checkpoint.safetensors) here, or pick one: ', fileInput);
  const models = el('p', { id: 'train-models', class: 'status', 'aria-live': 'polite' });
  const chartBox = el('div', { id: 'train-chart', role: 'img', 'aria-label': 'training loss and accuracy per step, one line per model' });
  root.append(
    el('div', { class: 'row' }, 'model ', architecture, ' norm ', norm, start, pause, reset, download),
    status, models, chartBox, drop,
  );

  const slot = (): Slot => norm.value as Slot;
  const describeModels = (): void => {
    models.textContent = (['bn', 'rn'] as Slot[]).map((key) => {
      const entry = state.models.get(key);
      return `${key === 'bn' ? 'BatchNorm' : 'RobustNorm'}: ${entry ? describeEntry(entry) : 'none yet (small-cnn, untrained, when first used)'}`;
    }).join('  ·  ');
    onModelsChanged();
  };
  const named = (row: StepRecord) => ({ ...row, model: row.slot === 'bn' ? 'BatchNorm' : 'RobustNorm' });
  // drawn at the first steps (an empty chart draws at zero size), then steps are appended to it
  const plot = async (rows: StepRecord[]): Promise<void> => {
    if (chart !== null) {
      await appendRows(chart, 'steps', rows.map(named));
      return;
    }
    // loss and accuracy on separate axes (their ranges differ: 0–2.5 against 0–1), one colour per model
    const panel = (field: 'loss' | 'accuracy', title: string) => ({
      width: 480, height: 110,
      mark: { type: 'line' as const, clip: true },
      encoding: {
        x: { field: 'step', type: 'quantitative' as const, title: 'step' },
        y: { field, type: 'quantitative' as const, title, ...(field === 'accuracy' ? { scale: { domain: [0, 1] } } : {}) },
        color: { field: 'model', type: 'nominal' as const, title: 'model', scale: { domain: ['BatchNorm', 'RobustNorm'], range: ['#d95f02', '#1b9e77'] } },
      },
    });
    chart = await drawChart(chartBox, {
      data: { name: 'steps', values: rows.map(named) },
      vconcat: [panel('loss', 'training batch loss'), panel('accuracy', 'training batch accuracy')],
    });
  };
  const resetChart = (): void => {
    chart = null;
    chartBox.replaceChildren();
  };
  describeModels();

  /** Said while the replacing model trains: "replaced small-cnn, pretrained (…) by a fresh small-cnn; ". */
  let replaced = '';
  /** Trains one step a frame while running; the first waits until the click has returned and the page has drawn "compiling…" (that step compiles the kernels: seconds). */
  /** Which loop is the current one: a loop paused and started again within one frame ends, and the new one goes on alone. */
  let currentLoop = 0;
  const loop = async (): Promise<void> => {
    const mine = ++currentLoop;
    const going = (): boolean => running && currentLoop === mine;
    await afterPaint();
    const began = performance.now();
    let done = 0;
    let pending: StepRecord[] = [];
    let lastDraw = performance.now();
    while (going()) {
      pending.push(stepModel(slot()));
      done++;
      if (performance.now() - lastDraw > 250 || !going()) {
        const last = pending[pending.length - 1] as StepRecord;
        const rate = done / ((performance.now() - began) / 1000);
        status.textContent = `${replaced}${slot() === 'bn' ? 'BatchNorm' : 'RobustNorm'} ${describeEntry(modelIn(slot()))} · step ${last.step}: loss ${last.loss.toFixed(3)}, batch accuracy ${(100 * last.accuracy).toFixed(1)}%, ${rate.toFixed(2)} steps/s (batch ${TRAINING.batchSize})`;
        status.dataset.steps = String(last.step);
        status.dataset.stepsPerSecond = rate.toFixed(3);
        await plot(pending);
        pending = [];
        lastDraw = performance.now();
        describeModels();
      }
      await nextFrame();
    }
    if (pending.length > 0) await plot(pending);
    describeModels();
  };

  start.addEventListener('click', () => {
    if (running) return;
    // The model in the slot is trained on, whatever its architecture (a loaded resnet20 stays a resnet20).
    // It is replaced, and the page says so, only when the visitor picked another architecture, or it is the pretrained one.
    const existing = state.models.get(slot());
    replaced = '';
    if (existing === undefined || existing.config.architecture !== architecture.value || existing.pretrained === true) {
      if (existing !== undefined) replaced = `replaced ${describeEntry(existing)} by a fresh ${architecture.value}; `;
      state.models.set(slot(), freshModel(architecture.value, slot(), 0));
      if (existing !== undefined && existing.config.architecture !== architecture.value) resetChart();
    }
    running = true;
    status.textContent = `${replaced}training ${describeEntry(modelIn(slot()))}: compiling the kernels for the first step…`;
    status.dataset.training = modelIn(slot()).config.architecture;
    describeModels();
    loop().catch((error: unknown) => {
      running = false;
      status.textContent = `stopped: ${(error as Error).message}`;
      console.error(error);
    });
  });
  pause.addEventListener('click', () => {
    running = false;
  });
  reset.addEventListener('click', () => {
    running = false;
    state.models.set(slot(), freshModel(architecture.value, slot(), 0));
    trainingLog.length = 0;
    status.textContent = 'reset: a fresh model';
    resetChart();
    describeModels();
  });
  download.addEventListener('click', () => {
    const entry = modelIn(slot());
    const bytes = encodeCheckpoint(entry.model, { model: entry.config, seed: 0, training: { steps: entry.steps, from: 'browser playground' } }, entry.optimizer);
    const link = el('a', { href: URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>])), download: `${entry.config.architecture}-${slot()}.safetensors` });
    link.click();
    URL.revokeObjectURL(link.href);
  });

  const load = async (file: File): Promise<void> => {
    try {
      const bytes = await file.arrayBuffer();
      notACheckpoint(bytes, file.name);
      const { model, metadata } = decodeCheckpoint(bytes, file.name);
      const kind = metadata.model.norm.kind;
      if (kind !== 'bn' && kind !== 'rn') throw new Error(`${file.name}: a ${kind} model; the playground compares BatchNorm (bn) and RobustNorm (rn)`);
      running = false;
      state.models.set(kind, adopt(model, metadata.model, file.name));
      norm.value = kind;
      // Train goes on training this architecture: it becomes the selected one (an option is added for, e.g., resnet20)
      const name = metadata.model.architecture;
      if (!Array.from(architecture.options).some((option) => option.value === name)) architecture.append(el('option', { value: name }, name));
      architecture.value = name;
      status.textContent = `loaded ${file.name}: ${metadata.model.architecture} with ${kind === 'bn' ? 'BatchNorm' : 'RobustNorm'}`;
      status.dataset.loaded = file.name;
    } catch (error) {
      status.textContent = `could not load ${file.name}: ${(error as Error).message}`;
      status.dataset.loadError = file.name;
    }
    describeModels();
  };
  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    if (file) void load(file);
  });
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    const file = event.dataTransfer?.files[0];
    if (file) void load(file);
  });
}
