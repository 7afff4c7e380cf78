/**
 * The headline chart's computation (web/attack-core.ts, accuracyCurve), in
 * Node with the shipped pretrained models: it computes the ε values in the
 * order asked (the page puts the slider's first), says its progress per
 * batch, gives what the library's evaluateRobustness gives, and refuses an
 * attack or an ε it does not offer with a clear message.
 */
import { describe, expect, it } from 'vitest';
import { evaluateRobustness, setBackend } from '../../src/index.js';
import { paperAttackSettings } from '../../src/internals.js';
import { accuracyCurve, SETTINGS, type CurvePoint } from '../../web/attack-core.js';
import { loadPretrained } from '../../web/pretrained/first-digit.js';
import { digits, modelIn } from '../../web/state.js';

describe('the headline chart\'s computation', () => {
  it('computes the ε values in the order asked, point by point, as evaluateRobustness does', () => {
    setBackend('webasm');
    loadPretrained();
    const streamed: CurvePoint[] = [];
    const batches: Array<[number, number]> = [];
    const points = accuracyCurve(256, 'fgsm', [0.2, 0], (point) => streamed.push(point), (done, total) => batches.push([done, total]));
    expect(points.map((point) => [point.eps, point.setting])).toEqual([0.2, 0].flatMap((eps) => SETTINGS.map((setting) => [eps, setting.label])));
    expect(streamed).toEqual(points);
    expect(batches).toEqual(Array.from({ length: 12 }, (_, i) => [i + 1, 12])); // 2 ε × 3 settings × 2 batches of 128
    const test = digits().test;
    const data = { name: 'mnist/test', images: test.images.subarray(0, 256 * 784), labels: test.labels.subarray(0, 256), count: 256, channels: 1, height: 28, width: 28 };
    const population = evaluateRobustness(modelIn('bn').model, data, { ...paperAttackSettings(0.2), attacks: ['fgsm'], batchSize: 128, statistics: 'population', seed: 0 });
    expect(points[0]!.accuracy).toBe(population.attacks[0]!.accuracy);
    expect(points[3]!.accuracy).toBe(population.cleanAccuracy);
  });

  it('refuses an attack or an ε the chart does not offer', () => {
    expect(() => accuracyCurve(128, 'cw' as never, [0.2])).toThrow(/the chart's attack must be one of fgsm, pgd, got "cw"/);
    expect(() => accuracyCurve(128, 'fgsm', [0.2, 1.5])).toThrow(/the chart's ε must be from 0 to 1 \(paper units\), got 1\.5/);
    expect(() => accuracyCurve(128, 'fgsm', [Number.NaN])).toThrow(/got NaN/);
  });
});
