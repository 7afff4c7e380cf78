import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ATTACK_NAMES } from '../src/attacks/registry.js';
import type { AccuracyRow } from '../src/experiments/context.js';
import { channelStatistics } from '../src/experiments/figure2.js';
import { renderReport } from '../src/experiments/report.js';
import type { ReproductionResults } from '../src/experiments/results.js';
import { runReproduction } from '../src/experiments/reproduce.js';
import { parseExperimentList, presetSettings, type ExperimentNumber, type ReproductionSettings } from '../src/experiments/settings.js';
import { percentGain } from '../src/experiments/table4.js';
import { fromArray } from '../src/tensor/tensor.js';

/** Every experiment at a size that says nothing about the paper but runs each code path. */
function tinySettings(): ReproductionSettings {
  return {
    ...presetSettings('smoke'),
    trainLimit: 24, testLimit: 6, sweepLimit: 4, batchSize: 6, epochs: 1, advIter: 1,
    epsSweep: [0.1], batchSizes: [1, 4], powers: [0.2, 1],
  };
}

const isFraction = (value: unknown) => typeof value === 'number' && value >= 0 && value <= 1;

describe('the reproduction, end to end on tiny data', () => {
  const out = mkdtempSync(join(tmpdir(), 'robustnorm-reproduce-'));
  let results: ReproductionResults;

  it('runs every experiment and writes results, figures and a report', async () => {
    results = await runReproduction(tinySettings(), { out, command: 'test' });
    const files = readdirSync(out).sort();
    expect(files).toEqual(expect.arrayContaining(['results.json', 'report.md', 'table1.svg', 'table3.svg', 'figure2-mean.svg', 'figure2-variance.svg', 'figure3.svg', 'figure4.svg', 'figure6.svg', 'figure7.svg']));
    for (const file of files.filter((name) => name.endsWith('.svg'))) {
      const svg = readFileSync(join(out, file), 'utf8');
      expect(svg.startsWith('<svg'), file).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>'), file).toBe(true);
      expect(svg, file).toContain('class="marks"');
    }
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(results)));
  }, 600_000);

  it('produces well-formed rows', () => {
    const t1 = results.table1!;
    expect(t1.rows.map((row) => row.statistics)).toEqual(['population', 'batch']);
    for (const row of [...t1.rows, ...results.table3!.rows, ...results.figure3!.rows]) {
      expect(isFraction(row.clean)).toBe(true);
      expect(Object.keys(row.attacks).sort()).toEqual(['bim', 'cw', 'fgsm', 'mim', 'pgd']);
      expect(Object.values(row.attacks).every(isFraction)).toBe(true);
      expect(row.images).toBe(6);
    }
    expect(results.table3!.rows.map((row) => row.model)).toEqual(['none', 'ln', 'bn']);
    expect(results.figure3!.rows.map((row) => `${row.model}/${row.statistics}`)).toEqual(['bn/population', 'rn/batch', 'rn/population-mean']);
    const f2 = results.figure2!;
    expect(f2.clean.mean).toHaveLength(1);
    expect(f2.adversarial.variance[0]).toHaveLength(f2.channels);
    expect(results.figure4!.rows).toHaveLength(2 * 3);
    expect(results.figure4!.rows.every((row) => isFraction(row.clean) && isFraction(row.pgd))).toBe(true);
    expect(results.figure6!.rows.map((row) => row.power)).toEqual([0.2, 0.2, 1, 1]);
    expect(results.figure7!.rows).toHaveLength(3 * 4);
    expect(results.table4!.rows.map((row) => row.training)).toEqual(['normal', 'adversarial']);
    expect(results.metadata.models.map((model) => model.key).sort()).toEqual(['bn', 'bn-pgd', 'ln', 'none', 'rn', 'rn-p1']);
    // the strong Carlini–Wagner rows (the smoke preset runs 3 steps on 4 images)
    expect(t1.strongCw?.map((row) => row.statistics)).toEqual(['population', 'batch']);
    expect(results.figure3!.strongCw?.map((row) => `${row.model}/${row.statistics}`)).toEqual(['bn/population', 'rn/batch', 'rn/population-mean']);
    for (const row of [...t1.strongCw!, ...results.figure3!.strongCw!]) {
      expect(row.images).toBe(4);
      expect(isFraction(row.accuracy)).toBe(true);
      expect(row.meanL2).toBeGreaterThanOrEqual(0);
    }
    expect(results.figure3!.strongCw![0]).toEqual(t1.strongCw![0]); // BN with P is measured once
  });

  it('resumes: a second run with the same settings reuses models and results', async () => {
    const again = await runReproduction(tinySettings(), { out, command: 'test' });
    expect(again.table1).toEqual(results.table1);
    expect(again.figure7).toEqual(results.figure7);
    // the wall time adds this run's seconds to the first run's, and the report says it was resumed
    expect(results.metadata.runs).toBeUndefined();
    expect(again.metadata.runs).toBe(2);
    expect(again.metadata.startedAt).toBe(results.metadata.startedAt);
    expect(again.metadata.wallSeconds).toBeGreaterThan(results.metadata.wallSeconds);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/\| wall time \| [^|]*, summed over the 2 runs that wrote this folder \(it was resumed\) \|/);
  }, 120_000);
});

describe('one output folder, several runs', () => {
  const out = mkdtempSync(join(tmpdir(), 'robustnorm-merge-'));

  it('adds a run of other experiments to the earlier results, reusing the trained model', async () => {
    const first = await runReproduction({ ...tinySettings(), experiments: [1] }, { out, command: 'test' });
    const second = await runReproduction({ ...tinySettings(), experiments: [4] }, { out, command: 'test' });
    expect(second.table1).toEqual(first.table1);
    expect(second.figure2).toBeDefined();
    expect(second.settings.experiments).toEqual([1, 4]);
    expect(second.metadata.models.map((model) => model.key)).toEqual(['bn']);
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ReproductionResults;
    expect(Object.keys(saved).filter((key) => key !== 'metadata' && key !== 'settings').sort()).toEqual(['figure2', 'table1']);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('![Table 1](table1.svg)');
    expect(report).toContain('figure2-mean.svg');
  }, 300_000);

  it('names a results.json it cannot read', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'robustnorm-broken-'));
    writeFileSync(join(broken, 'results.json'), '{"settings": ');
    await expect(runReproduction({ ...tinySettings(), experiments: [1] }, { out: broken, command: 'test' })).rejects.toThrow(/results\.json is not readable JSON .*move it away to start this output folder afresh/);
  });

  it('refuses a second run into the folder while the first runs', async () => {
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      writeFileSync(join(out, '.lock'), String(other.pid));
      await expect(runReproduction({ ...tinySettings(), experiments: [1] }, { out, command: 'test' })).rejects.toThrow(new RegExp(`in use by another run \\(process ${other.pid}\\)`));
    } finally {
      other.kill();
      rmSync(join(out, '.lock'), { force: true });
    }
  });

  it('refuses to mix in or replace results of other settings, naming what differs', async () => {
    await expect(runReproduction({ ...tinySettings(), experiments: [1], epochs: 2 }, { out, command: 'test' })).rejects.toThrow(/results\.json holds results of other settings \(epochs: 1 there, 2 now\); give another --out/);
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ReproductionResults;
    expect(saved.settings.epochs).toBe(1);
    expect(saved.table1).toBeDefined();
  }, 120_000);
});

describe('several seeds', () => {
  it('runs each seed into its own folder and reports means with their spread', async () => {
    const out = mkdtempSync(join(tmpdir(), 'robustnorm-seeds-'));
    const settings = { ...tinySettings(), experiments: [1, 4, 9] as ExperimentNumber[], seeds: [3, 4] };
    const merged = await runReproduction(settings, { out, command: 'test' });
    expect(readdirSync(out)).toEqual(expect.arrayContaining(['seed-3', 'seed-4', 'results.json', 'report.md', 'table1.svg']));
    const perSeed = [3, 4].map((seed) => JSON.parse(readFileSync(join(out, `seed-${seed}`, 'results.json'), 'utf8')) as ReproductionResults);
    expect(perSeed.map((results) => results.metadata.seed)).toEqual([3, 4]);
    const pgd = perSeed.map((results) => results.table1!.rows[0]!.attacks.pgd as number);
    expect(merged.table1!.rows[0]!.attacks.pgd).toBeCloseTo((pgd[0]! + pgd[1]!) / 2, 12);
    expect(merged.table1!.rows[0]!.spread?.attacks.pgd).toBeCloseTo(Math.abs(pgd[0]! - pgd[1]!) / Math.SQRT2, 12);
    expect(merged.metadata.seeds).toEqual([3, 4]);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('3, 4 (initialization, shuffling, flips, PGD starts)');
    expect(merged.metadata.wallSeconds).toBeCloseTo(perSeed[0]!.metadata.wallSeconds + perSeed[1]!.metadata.wallSeconds, 9);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/\| wall time \| [^|]*, summed over its 2 seeds \|/);
    // Figure 2 is one seed's matrices: the merged report says which, and gives every seed's shift
    expect(merged.figure2!.merged!.shownSeed).toBe(3);
    expect(merged.figure2!.merged!.perSeed.map((entry) => entry.meanAbsShift)).toEqual(perSeed.map((results) => results.figure2!.meanAbsShift));
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/This report merges 2 seeds: the table and figures show seed 3 .*seed 3: mean [0-9.]+×, variance [0-9.]+×; seed 4: mean/);
    // experiment 9's cells: the mean correct count over seeds, of one seed's images (the same images in every seed)
    const cells = perSeed.map((results) => results.attackCheck!.rows[1]!.cells['pgd-20']!);
    expect(merged.attackCheck!.rows[1]!.cells['pgd-20']).toEqual({ correct: (cells[0]!.correct + cells[1]!.correct) / 2, images: cells[0]!.images });
  }, 300_000);
});

describe('report rendering', () => {
  it('counts only differences whose 95% intervals are apart', () => {
    const fixture = JSON.parse(readFileSync(new URL('./fixtures/results-tiny.json', import.meta.url), 'utf8')) as ReproductionResults;
    const [population, batch] = fixture.table1!.rows as [AccuracyRow, AccuracyRow];
    population.images = batch.images = 512;
    for (const attack of ATTACK_NAMES) {
      population.attacks[attack] = 0.5;
      batch.attacks[attack] = 0.52; // +2 points: inside ±4.3
    }
    batch.attacks.pgd = 0.7; // +20 points: clear
    expect(renderReport(fixture)).toContain('with batch statistics the model is clearly more accurate under 1 of 5 attacks (95% intervals apart) than with population statistics, by +5.6 points on average');
    expect(renderReport(fixture)).toContain('| **this run** B | 0.0 (0.0–0.7) | 52.0 (47.6–56.3) |');
  });

  it('renders a fixed results file to the expected Markdown', () => {
    const fixture = JSON.parse(readFileSync(new URL('./fixtures/results-tiny.json', import.meta.url), 'utf8')) as ReproductionResults;
    const expected = readFileSync(new URL('./fixtures/report-tiny.md', import.meta.url), 'utf8');
    expect(renderReport(fixture)).toBe(expected);
  });

  it('explains the paper\'s weak CW row by the data: saturated MNIST pixels, gray Fashion-MNIST ones', () => {
    const fixture = JSON.parse(readFileSync(new URL('./fixtures/results-tiny.json', import.meta.url), 'utf8')) as ReproductionResults;
    expect(renderReport(fixture)).toContain('Most MNIST pixels are exactly 0 or 1');
    fixture.settings.dataset = 'fashion-mnist';
    fixture.table1!.eps = 0.06;
    fixture.table1!.epsPixel = 0.06 * 0.3081;
    const report = renderReport(fixture);
    expect(report).not.toContain('Most MNIST pixels');
    // 9 Adam steps of ε/10 in tanh space, times tanh's largest slope in pixels (1/2): 4.5 · 0.006 = 0.027
    expect(report).toContain('gray pixels can each move up to 4.5 rates in pixels (0.027 at ε = 0.06, against the L∞ attacks\' 0.0185)');
    // the summary gives the paper-CW row's numbers beside the strong CW's instead of calling them "near clean"
    const [population, batch] = fixture.table1!.rows as [AccuracyRow, AccuracyRow];
    Object.assign(population, { clean: 0.872, attacks: { ...population.attacks, cw: 0.79 } });
    Object.assign(batch, { clean: 0.878, attacks: { ...batch.attacks, cw: 0.795 } });
    const strong = { model: 'bn', label: 'BatchNorm', images: 256, clean: 0.88, secondsPer1000: 1 };
    fixture.table1!.strongCw = [
      { ...strong, statistics: 'population', accuracy: 0, meanL2: 0.52 },
      { ...strong, statistics: 'batch', accuracy: 0.262, meanL2: 0.55 },
    ];
    expect(renderReport(fixture)).toContain('0.0% (P) and 26.2% (B) of the images survive, with mean perturbations ‖δ‖₂ of 0.52 and 0.55 pixels; at the paper\'s CW settings 79.0% and 79.5% do, against 87.2% and 87.8% of the clean images (Table 1).');
  });

  it('calls Table 4\'s gap shrinking only when it gets smaller with the same sign', () => {
    const fixture = JSON.parse(readFileSync(new URL('./fixtures/results-tiny.json', import.meta.url), 'utf8')) as ReproductionResults;
    const [normal, adversarial] = fixture.table4!.rows;
    const setGains = (before: number, after: number) => {
      for (const attack of ATTACK_NAMES) {
        normal!.gain[attack] = before;
        adversarial!.gain[attack] = after;
      }
      return renderReport(fixture).split('\n').find((line) => line.startsWith('This run: mean gain'));
    };
    // a smoke run's numbers: the gap grew (and is on the other side of the paper's)
    expect(setGains(-10, -55)).toBe('This run: mean gain -10.0% after normal training and -55.0% after adversarial training, so the gap grows: this run does **not** show the gap shrinking.');
    // grows and flips sign
    expect(setGains(10, -55)).toBe('This run: mean gain +10.0% after normal training and -55.0% after adversarial training, so the gap flips sign (batch statistics ahead after normal training, behind after adversarial training): this run does **not** show the paper\'s shrinking gap.');
    // flips sign while getting smaller in size: still not the paper's shrinking
    expect(setGains(10, -5)).not.toContain('as the paper says');
    expect(setGains(-10, 5)).toContain('flips sign (batch statistics behind after normal training, ahead after adversarial training)');
    // smaller, but negative both times: shrinks, unlike the paper's sign
    expect(setGains(-55, -10)).toContain('the gap shrinks, but batch statistics are behind population statistics after both trainings');
    // the paper's case
    expect(setGains(87.9, 20.4)).toBe('This run: mean gain +87.9% after normal training and +20.4% after adversarial training, so adversarial training shrinks the gap, as the paper says.');
    expect(setGains(20, 20)).toContain('the gap stays the same size');
  });

  it('says plainly when a run does not show the effect', () => {
    const fixture = JSON.parse(readFileSync(new URL('./fixtures/results-tiny.json', import.meta.url), 'utf8')) as ReproductionResults;
    const [population, batch] = fixture.table1!.rows as [AccuracyRow, AccuracyRow];
    // Make B worse than P under every attack: the verdict must say so.
    for (const attack of ATTACK_NAMES) {
      population.attacks[attack] = 0.9;
      batch.attacks[attack] = 0.1;
    }
    expect(renderReport(fixture)).toContain('This run does **not** show the paper\'s effect under any attack');
  });
});

describe('experiment helpers', () => {
  it('percentGain is (B − P)/P · 100 and undefined at P = 0', () => {
    expect(percentGain(0.2, 0.5)).toBeCloseTo(150);
    expect(percentGain(0, 0.5)).toBeNull();
  });

  it('channelStatistics gives the mean and biased variance over (N, H, W)', () => {
    const x = fromArray([[[[1, 3]], [[0, 0]]], [[[5, 7]], [[2, 2]]]]); // [2, 2, 1, 2]
    const { mean, variance } = channelStatistics(x);
    expect(mean).toEqual([4, 1]);
    expect(variance).toEqual([5, 1]);
  });

  it('parses experiment lists and rejects unknown numbers', () => {
    expect(parseExperimentList('1, 3,7')).toEqual([1, 3, 7]);
    expect(() => parseExperimentList('1,10')).toThrow(/unknown experiment "10"/);
    expect(parseExperimentList('attackcheck,9')).toEqual([9, 9]);
    // by name too: experiment 4 is Figure 2, 2 is Table 3
    expect(parseExperimentList('table1,figure2, Table 3,figure-3')).toEqual([1, 4, 2, 3]);
    expect(() => parseExperimentList('figure5')).toThrow(/unknown experiment "figure5"; choose by number or name: 1 \(table1\), 2 \(table3\)/);
    expect(() => parseExperimentList('1,')).toThrow(/unknown experiment ""/);
  });
});
