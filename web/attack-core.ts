/**
 * The attack panel's computation, free of the page (it runs in the attack
 * worker, web/attack-worker.ts, and in Node's tests): one digit in a batch of
 * 128 test digits, attacked against BatchNorm (P), BatchNorm (B) and RobustNorm.
 */
import { argmaxOf, paperAttackSettings } from '../src/internals.js';
import { batchOf, evaluateRobustness, Random, runAttack, type AttackName, type NormStatistics, type Tensor } from '../src/browser.js';
import { digits, firstImageProbabilities, modelIn, type Slot } from './state.js';

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
  /** The label the attack pushed away from (the true label, the one the visitor gave a drawing, or the clean prediction). */
  attackedAs: number;
}

/**
 * Attacks the batch that starts at test digit `index` (or holds `drawn` in its
 * place) against each setting. A test digit is attacked against its true
 * label; a drawing against `drawnLabel`, the digit the visitor says it is, or,
 * when they did not say, against each setting's clean prediction. The clean
 * predictions come first, all three (`onClean`), then each setting's attack
 * (`onSetting`, with the settings done so far and the result).
 */
export function attackDigit(index: number, attack: AttackName, epsPaper: number, drawn: Float32Array | null = null, seed = 0, drawnLabel: number | null = null, onSetting?: (done: number, result: SettingResult) => void, onClean?: (clean: number[][]) => void): SettingResult[] {
  const test = digits().test;
  if (!Number.isInteger(index) || index < 0 || index >= test.count) throw new Error(`the test digit index must be a whole number from 0 to ${test.count - 1}, got ${index}`);
  if (!(epsPaper > 0)) throw new Error(`ε must be above 0 to attack, got ${epsPaper}`);
  const indices = Array.from({ length: ATTACK_BATCH }, (_, i) => (index + i) % test.count);
  const { images, labels } = batchOf(test, indices);
  if (drawn !== null) (images.data as Float32Array).set(drawn, 0);
  const config = paperAttackSettings(epsPaper);
  const cleans = SETTINGS.map((setting) => firstImageProbabilities(modelIn(setting.slot).model, images, setting.statistics));
  onClean?.(cleans);
  return SETTINGS.map((setting, k) => {
    const { model } = modelIn(setting.slot);
    const clean = cleans[k] as number[];
    const attackedAs = drawn === null ? (labels[0] as number) : (drawnLabel ?? argmaxOf(clean, 0, 10));
    const targets = Uint8Array.from(labels);
    targets[0] = attackedAs;
    model.eval();
    model.setNormStatistics(setting.statistics);
    const adversarial: Tensor = runAttack(attack, model, images, targets, config, new Random(seed));
    const attacked = firstImageProbabilities(model, adversarial, setting.statistics);
    const result = { label: setting.label, clean, adversarial: attacked, adversarialImage: Float32Array.from((adversarial.data as Float32Array).subarray(0, 784)), attackedAs };
    onSetting?.(k + 1, result);
    return result;
  });
}

/** The verdict on one setting, read against the true label when there is one ("correct → fooled"), else against the clean prediction. */
export function verdict(before: number, after: number, truth: number | null): { text: string; good: boolean } {
  if (truth === null) return after === before ? { text: 'prediction kept (no true label: read against the clean prediction)', good: true } : { text: `prediction changed (no true label: read against the clean prediction)`, good: false };
  if (before !== truth) return { text: `wrong already (a ${truth}, read as ${before} before the attack)`, good: false };
  return after === truth ? { text: 'correct → still correct', good: true } : { text: `correct → fooled (now ${after})`, good: false };
}

/** One point of the headline chart: a setting's accuracy on the first test digits under an attack at ε (paper units). */
export interface CurvePoint {
  setting: string;
  eps: number;
  accuracy: number;
}

/** The ε values the headline chart always shows (the paper's MNIST ε is 0.2); the slider's ε is added to them. */
export const CURVE_EPS = [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3];

/** The attacks the headline chart offers: FGSM (one step, fast) and the paper's PGD (20 steps, ≈20× slower). */
export const CURVE_ATTACKS = ['fgsm', 'pgd'] as const;
export type CurveAttack = (typeof CURVE_ATTACKS)[number];

/**
 * The three settings' accuracies on the first `count` test digits at each ε
 * of `epsList` (paper units), in that order, under `attack` (batches of 128,
 * each setting attacked with its own statistics, seed 0; ε = 0 is the clean
 * accuracy). `onPoint` gets each point as it is computed, `onBatch` each batch.
 */
export function accuracyCurve(count: number, attack: CurveAttack, epsList: readonly number[], onPoint?: (point: CurvePoint, done: number, total: number) => void, onBatch?: (done: number, total: number) => void): CurvePoint[] {
  if (!(CURVE_ATTACKS as readonly string[]).includes(attack)) throw new Error(`the chart's attack must be one of ${CURVE_ATTACKS.join(', ')}, got "${attack}"`);
  for (const eps of epsList) if (!(eps >= 0 && eps <= 1)) throw new Error(`the chart's ε must be from 0 to 1 (paper units), got ${eps}`);
  const test = digits().test;
  const data = { name: 'mnist/test', images: test.images.subarray(0, count * 784), labels: test.labels.subarray(0, count), count, channels: 1, height: 28, width: 28 };
  const batchesPerRun = Math.ceil(count / ATTACK_BATCH);
  const total = SETTINGS.length * epsList.length;
  const points: CurvePoint[] = [];
  for (const eps of epsList) {
    for (const setting of SETTINGS) {
      const { model } = modelIn(setting.slot);
      const before = points.length * batchesPerRun;
      const result = evaluateRobustness(model, data, {
        ...paperAttackSettings(Math.max(eps, 1e-6)), attacks: eps === 0 ? [] : [attack], batchSize: ATTACK_BATCH, statistics: setting.statistics, seed: 0,
        onBatch: (done, _, name) => {
          if (name !== 'clean' || eps === 0) onBatch?.(before + done + (eps === 0 ? 1 : 0), total * batchesPerRun);
        },
      });
      const point = { setting: setting.label, eps, accuracy: eps === 0 ? result.cleanAccuracy : (result.attacks[0] as { accuracy: number }).accuracy };
      points.push(point);
      onPoint?.(point, points.length, total);
    }
  }
  return points;
}

/** One row of Table 1 in the page: a setting's clean accuracy and its accuracy under each attack. */
export interface TableRow {
  label: string;
  clean: number;
  attacks: Record<string, number>;
}

/** Table 1 on the first `count` test digits at ε (paper units): each setting under each attack; `onCell` after each. */
export function tableOne(count: number, epsPaper: number, attacks: readonly AttackName[], onCell?: (done: number, total: number) => void): TableRow[] {
  const test = digits().test;
  const data = { name: 'mnist/test', images: test.images.subarray(0, count * 784), labels: test.labels.subarray(0, count), count, channels: 1, height: 28, width: 28 };
  const config = paperAttackSettings(epsPaper);
  const rows: TableRow[] = [];
  let done = 0;
  for (const setting of SETTINGS) {
    const row: TableRow = { label: setting.label, clean: 0, attacks: {} };
    for (const name of attacks) {
      const result = evaluateRobustness(modelIn(setting.slot).model, data, { ...config, attacks: [name], batchSize: ATTACK_BATCH, statistics: setting.statistics, seed: 0 });
      row.clean = result.cleanAccuracy;
      row.attacks[name] = (result.attacks[0] as { accuracy: number }).accuracy;
      onCell?.(++done, SETTINGS.length * attacks.length);
    }
    rows.push(row);
  }
  return rows;
}
