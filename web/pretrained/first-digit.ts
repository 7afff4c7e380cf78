/**
 * The playground's first screen: which test digit it opens on. The first test
 * digit (from 0) where FGSM at the paper's ε = 0.2 fools BatchNorm with
 * population statistics while BatchNorm with the batch's statistics and
 * RobustNorm, all three right on the clean digit, stay right — computed with
 * the shipped pretrained models, never picked by hand.
 *
 *   npx tsx web/pretrained/first-digit.ts     prints the index (put it in manifest.json)
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeCheckpoint, loadDataset } from '../../src/index.js';
import { attackDigit, type SettingResult } from '../attack-panel.js';
import { adopt, state } from '../state.js';

export const pretrainedDir = dirname(fileURLToPath(import.meta.url));

/** What the first screen shows: the attack, its ε (the paper's units), and the picked digit. */
export interface FirstScreen {
  attack: 'fgsm';
  eps: number;
  index: number;
}

/** The shipped manifest (command, seed, files, the first screen's digit). */
export function readManifest(): { command: string; environment: Record<string, string>; firstScreen: FirstScreen; [key: string]: unknown } {
  return JSON.parse(readFileSync(join(pretrainedDir, 'manifest.json'), 'utf8'));
}

const argmax = (values: number[]): number => values.indexOf(Math.max(...values));

/** True when P goes correct → fooled while B and RobustNorm go correct → still correct. */
export function showsTheEffect(results: SettingResult[], label: number): boolean {
  const [population, batch, robust] = results.map((result) => ({ before: argmax(result.clean), after: argmax(result.adversarial) }));
  return [population, batch, robust].every((r) => r!.before === label) && population!.after !== label && batch!.after === label && robust!.after === label;
}

/** Loads the shipped checkpoints and the embedded digits into the page's state (Node). */
export function loadPretrained(): void {
  const { train, test } = loadDataset('mnist');
  state.digits = { train, test };
  for (const slot of ['bn', 'rn'] as const) {
    const file = join(pretrainedDir, `${slot}.safetensors`);
    const { model, metadata } = decodeCheckpoint(readFileSync(file), file);
    state.models.set(slot, { ...adopt(model, metadata.model, `pretrained (${slot}.safetensors)`), pretrained: true });
  }
}

/** The first test digit, from `from`, that shows the effect under `attack` at `eps`; -1 if none below `to`. */
export function firstDigitShowingTheEffect(eps: number, from = 0, to = 2000): number {
  for (let index = from; index < to; index++) {
    if (showsTheEffect(attackDigit(index, 'fgsm', eps), state.digits!.test.labels[index] as number)) return index;
  }
  return -1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  loadPretrained();
  const eps = Number(process.argv[2] ?? 0.2);
  console.log(JSON.stringify({ attack: 'fgsm', eps, index: firstDigitShowingTheEffect(eps) }));
}
