/**
 * The one switch between the fast path and the readable one (`fastPathFor`
 * in src/kernels/backend.ts): `setBackend('reference')` runs every op and
 * layer on the code its file shows; any other backend runs the fused float32
 * twins (src/fast/, relu's loops on the float's bits).
 *
 * 1. A few SGD steps of small-cnn, with BatchNorm, RobustNorm and LayerNorm, give
 *    the same losses and parameters on both paths within float32 tolerance
 *    (the conv kernels sum in another order, so not bit for bit).
 * 2. The readable path really runs nn/robust-norm.ts: a copy of src/ in which
 *    `rangeNormalizeBackward` is changed (as a learner experimenting would
 *    change it) trains to a different loss on the readable path, and to the
 *    same loss as before on the fast path, which does not call it.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as robustnorm from '../src/index.js';

type Library = typeof robustnorm;

/**
 * How closely the two paths agree after STEPS steps, relative (float32 sums
 * in another order; measured: losses within 2e-7, parameters within 2e-4,
 * the RobustNorm model's larger as a max or min can move between near-equal values).
 */
const LOSS_TOLERANCE = 1e-5;
const PARAMETER_TOLERANCE = 1e-3;
const STEPS = 3;

/** Losses of STEPS SGD steps of a seeded small-cnn on a seeded batch, and its parameters after them, on `backend`. */
function train(lib: Library, backend: string, norm: 'bn' | 'rn' | 'ln', lr = 0.1): { losses: number[]; parameters: Float32Array } {
  lib.setBackend(backend);
  const model = lib.buildModel({ architecture: 'small-cnn', norm: { kind: norm }, classes: 10, inputNormalization: null }, 3);
  const optimizer = new lib.SGD(model.parameters(), { lr, momentum: 0.9 });
  const random = new lib.Random(5);
  const images = lib.rand([16, 1, 28, 28], { random });
  const labels = Uint8Array.from({ length: 16 }, (_, i) => i % 10);
  const losses = Array.from({ length: STEPS }, (_, step) => lib.trainStep(model, optimizer, images, labels, { epoch: 0, step }).loss);
  const parameters = Float32Array.from(model.parameters().flatMap((p) => Array.from(p.data)));
  return { losses, parameters };
}

function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)) / Math.max(1, Math.abs(b[i] as number)));
  return worst;
}

afterAll(() => robustnorm.disposeBackends());

describe.each([['bn', 'BatchNorm'], ['rn', 'RobustNorm'], ['ln', 'LayerNorm']] as const)('small-cnn with %s (%s)', (norm, name) => {
  it(`trains the same on the readable path as on the fast one (${STEPS} steps; losses within ${LOSS_TOLERANCE}, parameters ${PARAMETER_TOLERANCE})`, () => {
    const fast = train(robustnorm, 'webasm', norm);
    const readable = train(robustnorm, 'reference', norm);
    expect(relativeDifference(readable.losses, fast.losses)).toBeLessThan(LOSS_TOLERANCE);
    expect(relativeDifference(readable.parameters, fast.parameters)).toBeLessThan(PARAMETER_TOLERANCE);
    expect(fast.losses[STEPS - 1]).not.toBe(fast.losses[0]); // it did train
  });
});

describe('an edit to rangeNormalizeBackward', () => {
  // A copy of src/ with the mean path of (★) dropped, as a learner trying
  // "what if the mean got no gradient?" would edit it.
  const root = mkdtempSync(join(tmpdir(), 'robustnorm-edited-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const load = async (): Promise<Library> => {
    cpSync(resolve(__dirname, '../src'), join(root, 'src'), { recursive: true });
    symlinkSync(resolve(__dirname, '../node_modules'), join(root, 'node_modules'), 'dir');
    // the project's package.json too: it makes src/ ES modules (as the webasm helper thread, a worker module, loads them)
    cpSync(resolve(__dirname, '../package.json'), join(root, 'package.json'));
    const file = join(root, 'src/nn/robust-norm.ts');
    const line = 'gradInput[k] = (gradNormalized[k] as number) / d + gradMean / M + gradRange * rangeSlope;';
    const source = readFileSync(file, 'utf8');
    expect(source).toContain(line);
    writeFileSync(file, source.replace(line, 'gradInput[k] = (gradNormalized[k] as number) / d + gradRange * rangeSlope;'));
    return (await import(join(root, 'src/index.ts'))) as Library;
  };

  it('changes the loss of a readable run, and not of a fast one', async () => {
    const edited = await load();
    try {
      const readable = train(robustnorm, 'reference', 'rn', 1);
      const editedReadable = train(edited, 'reference', 'rn', 1);
        // The first loss comes before any update; the edit shows from the second step on,
      // far beyond the two paths' tolerance (measured: 3% at the third step, with lr 1)
      expect(editedReadable.losses[0]).toBe(readable.losses[0]);
      expect(relativeDifference(editedReadable.losses.slice(1), readable.losses.slice(1))).toBeGreaterThan(100 * LOSS_TOLERANCE);

      const fast = train(robustnorm, 'webasm', 'rn', 1);
      const editedFast = train(edited, 'webasm', 'rn', 1);
      expect(editedFast.losses).toEqual(fast.losses);
    } finally {
      edited.disposeBackends();
    }
  });
});
