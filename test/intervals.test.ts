/**
 * The report's uncertainty: Wilson intervals, the "clearly different" rule,
 * and the merging of several seeds' results.
 */
import { describe, expect, it } from 'vitest';
import type { AccuracyRow } from '../src/experiments/context.js';
import { accuracyInterval, clearDifference, wilsonInterval } from '../src/experiments/intervals.js';
import { meanAndSpread, mergeAccuracyRows, mergeSeeds } from '../src/experiments/seeds.js';
import type { ReproductionResults } from '../src/experiments/results.js';

describe('wilsonInterval', () => {
  it('matches the textbook values', () => {
    // 5 of 10: (0.2366, 0.7634); 0 of 10: (0, z²/(n + z²)) = (0, 0.2775)
    const half = wilsonInterval(5, 10);
    expect(half.low).toBeCloseTo(0.23659, 4);
    expect(half.high).toBeCloseTo(0.76341, 4);
    const none = wilsonInterval(0, 10);
    expect(none.low).toBe(0);
    expect(none.high).toBeCloseTo(0.27753, 4);
    const all = wilsonInterval(10, 10);
    expect(all.high).toBeCloseTo(1, 12);
    expect(all.low).toBeCloseTo(1 - 0.27753, 4);
  });

  it('narrows with more images: ±4.3 points at 50% of 512', () => {
    const { low, high } = wilsonInterval(256, 512);
    expect((high - low) / 2).toBeCloseTo(0.0431, 3);
  });

  it('rejects counts that are not a proportion', () => {
    expect(() => wilsonInterval(11, 10)).toThrow(/11 correct out of 10/);
  });

  it('accuracyInterval rounds the fraction to a count of images', () => {
    expect(accuracyInterval(0.5, 10)).toEqual(wilsonInterval(5, 10));
    expect(Number.isNaN(accuracyInterval(Number.NaN, 10).low)).toBe(true);
  });
});

describe('clearDifference', () => {
  it('counts a difference only when the intervals are apart', () => {
    const high = wilsonInterval(90, 100);
    const low = wilsonInterval(10, 100);
    const close = wilsonInterval(85, 100);
    expect(clearDifference(high, low)).toBe(1);
    expect(clearDifference(low, high)).toBe(-1);
    expect(clearDifference(high, close)).toBe(0);
  });
});

function row(clean: number, pgd: number): AccuracyRow {
  return { model: 'bn', label: 'BatchNorm', statistics: 'batch', eps: 0.2, images: 100, batchSize: 128, clean, attacks: { pgd }, secondsPer1000: { pgd: 1 } };
}

describe('merging seeds', () => {
  it('meanAndSpread gives the mean and the sample standard deviation', () => {
    expect(meanAndSpread([1, 2, 3])).toEqual({ mean: 2, spread: 1 });
    expect(meanAndSpread([4])).toEqual({ mean: 4, spread: 0 });
  });

  it('a merged row holds means, spreads, and one seed\'s image count', () => {
    const merged = mergeAccuracyRows([row(0.9, 0.2), row(0.8, 0.4)]);
    expect(merged.clean).toBeCloseTo(0.85);
    expect(merged.attacks.pgd).toBeCloseTo(0.3);
    expect(merged.spread?.attacks.pgd).toBeCloseTo(Math.SQRT2 * 0.1);
    expect(merged.seeds).toBe(2);
    expect(merged.images).toBe(100);
  });

  it('mergeSeeds merges every table and refuses seeds that ran different rows', () => {
    const results = (pgd: number, seed: number) => ({
      metadata: { seed, wallSeconds: 10, models: [{ key: 'bn', label: 'BatchNorm', epochs: 1, testAccuracy: pgd, trainLoss: 1, trainSeconds: 1, secondsPerStep: 1 }] },
      settings: {},
      table1: { eps: 0.2, epsPixel: 0.0616, rows: [row(0.9, pgd), row(0.9, pgd + 0.1)] },
    }) as unknown as ReproductionResults;
    const merged = mergeSeeds([results(0.2, 0), results(0.4, 1)]);
    expect(merged.metadata.seeds).toEqual([0, 1]);
    expect(merged.metadata.wallSeconds).toBe(20);
    expect(merged.metadata.models[0]?.testAccuracy).toBeCloseTo(0.3);
    expect(merged.table1?.rows[1]?.attacks.pgd).toBeCloseTo(0.4);
    const short = results(0.2, 2);
    short.table1!.rows.pop();
    expect(() => mergeSeeds([results(0.2, 0), short])).toThrow(/different numbers of rows \(2, 1\)/);
  });
});

describe('the time estimate printed before a run', () => {
  it('is the planned passes times the measured step, once per seed', async () => {
    const { estimateRunSeconds } = await import('../src/experiments/estimate.js');
    const { estimatePasses } = await import('../src/experiments/run-progress.js');
    const { presetSettings } = await import('../src/experiments/settings.js');
    const quick = presetSettings('quick');
    const oneSeed = estimateRunSeconds(quick, 8000, 0.95);
    // a training image is 1.5 passes: a step of 128 images is 192 passes
    expect(oneSeed).toBeCloseTo((estimatePasses(quick, 8000) * 0.95) / 192, 6);
    expect(estimateRunSeconds({ ...quick, seeds: [0, 1, 2] }, 8000, 0.95)).toBeCloseTo(3 * oneSeed, 6);
  });

  it('weighs each norm\'s passes by that norm\'s own measured step', async () => {
    const { estimateRunSeconds } = await import('../src/experiments/estimate.js');
    const { estimatePassesByNorm, estimatePasses } = await import('../src/experiments/run-progress.js');
    const { presetSettings } = await import('../src/experiments/settings.js');
    const fashion = presetSettings('fashion-mnist');
    const passes = estimatePassesByNorm(fashion, 60000);
    expect(passes.bn + passes.rn + passes.ln + passes.none).toBeCloseTo(estimatePasses(fashion, 60000), 3);
    // Table 3 trains and attacks LayerNorm and no-norm models; Figures 3 and 7 attack RobustNorm twice as often as BatchNorm
    expect(passes.ln).toBeGreaterThan(0);
    expect(passes.none).toBeGreaterThan(0);
    expect(passes.rn).toBeGreaterThan(passes.ln);
    const steps = { bn: 0.3, rn: 0.3, ln: 0.6, none: 0.25 };
    const expected = (passes.bn * 0.3 + passes.rn * 0.3 + passes.ln * 0.6 + passes.none * 0.25) / 192;
    expect(estimateRunSeconds(fashion, 60000, steps)).toBeCloseTo(expected, 6);
    // a slower LayerNorm makes the estimate longer by exactly its passes' share
    expect(estimateRunSeconds(fashion, 60000, { ...steps, ln: 1.2 }) - estimateRunSeconds(fashion, 60000, steps)).toBeCloseTo((passes.ln * 0.6) / 192, 6);
  });

  it('a resumed run does not count the epochs a model\'s checkpoint already holds', async () => {
    const { estimateRunSeconds } = await import('../src/experiments/estimate.js');
    const { trainingPasses } = await import('../src/experiments/run-progress.js');
    const { presetSettings } = await import('../src/experiments/settings.js');
    const fashion = presetSettings('fashion-mnist');
    const steps = { bn: 0.3, rn: 0.3, ln: 0.6, none: 0.25 };
    const full = estimateRunSeconds(fashion, 60000, steps);
    // BatchNorm trained (all E epochs), RobustNorm E − 1 of E: their epochs are not counted again
    const E = fashion.epochs;
    const resumed = estimateRunSeconds(fashion, 60000, steps, [fashion.experiments], [{ bn: E, rn: E - 1 }]);
    const epoch = trainingPasses({ ...fashion, epochs: 1 }, 60000, false);
    expect(full - resumed).toBeCloseTo((E * epoch * 0.3 + (E - 1) * epoch * 0.3) / 192, 6);
    // more epochs than the run trains count as none left, never as negative work
    expect(estimateRunSeconds(fashion, 60000, steps, [fashion.experiments], [{ bn: E + 2 }])).toBeCloseTo(full - (E * epoch * 0.3) / 192, 6);
  });

  it('a resumed run counts only what its seeds have left', async () => {
    const { estimateLine, estimateRunSeconds } = await import('../src/experiments/estimate.js');
    const { estimatePasses } = await import('../src/experiments/run-progress.js');
    const { presetSettings } = await import('../src/experiments/settings.js');
    const quick = { ...presetSettings('quick'), seeds: [0, 1, 2] };
    // seed 0 finished, seed 1 has Figure 3 left, seed 2 everything
    const left = [[], [3], quick.experiments] as Array<Array<1 | 3 | 4 | 9>>;
    const expected = (estimatePasses({ ...quick, experiments: [3] }, 8000) + estimatePasses(quick, 8000)) * 0.95 / 192;
    expect(estimateRunSeconds(quick, 8000, 0.95, left)).toBeCloseTo(expected, 6);
    expect(estimateRunSeconds(quick, 8000, 0.95, left)).toBeLessThan(estimateRunSeconds(quick, 8000, 0.95) * 0.67);
    expect(estimateLine(quick, 8000, [[], [], []])).toMatch(/^nothing left to compute/);
  });
});
