/**
 * The core loads without Node (src/platform.ts, src/browser.ts): it bundles
 * for a browser with no `node:` module in its import graph, and the bundle
 * trains a model in a bare V8 context that has no `process`, as a page would
 * run it. Checkpoints travel as bytes.
 */
import { runInContext, createContext } from 'node:vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { buildModel, decodeCheckpoint, encodeCheckpoint, modelConfig, noGrad, rand, Random } from '../src/index.js';
import { availableCores, isNode, nodeBuiltin } from '../src/platform.js';

/** Bundles `entry` as a browser would get it. */
async function bundleForBrowser(entry: string, format: 'esm' | 'iife' = 'esm'): Promise<string> {
  const result = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format, globalName: 'robustnorm', write: false, logLevel: 'silent' });
  return result.outputFiles[0]!.text;
}

describe('the platform seam', () => {
  it('reaches Node\'s built-ins at run time in Node', () => {
    expect(isNode()).toBe(true);
    expect(nodeBuiltin('node:os')?.availableParallelism()).toBeGreaterThanOrEqual(1);
    expect(availableCores()).toBe(nodeBuiltin('node:os')!.availableParallelism());
  });

  it('the core (src/browser.ts) bundles for a browser; the Node entry, which reads files, does not', async () => {
    await expect(bundleForBrowser('src/browser.ts')).resolves.toContain('RobustNorm2d');
    // the check can fail: index.ts adds the file-reading parts, whose node: imports a browser cannot resolve
    await expect(bundleForBrowser('src/index.ts')).rejects.toThrow(/node:fs/);
  });

  it('the bundled core trains small-cnn with RobustNorm, and round-trips its checkpoint as bytes, in a V8 context without process or any Node built-in', async () => {
    const code = await bundleForBrowser('src/browser.ts', 'iife');
    // what a page has, and nothing of Node's
    const page = createContext({ console, setTimeout, clearTimeout, TextEncoder, TextDecoder });
    runInContext(code, page);
    const result = JSON.parse(runInContext(`(() => {
      const rn = robustnorm;
      const backend = rn.setBackend('webasm');
      const model = rn.buildModel(rn.modelConfig('small-cnn', 'rn'), 0);
      const x = rn.rand([8, 1, 28, 28], { random: new rn.Random(1) });
      const labels = Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
      const optimizer = new rn.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
      const losses = [];
      for (let step = 0; step < 6; step++) {
        const loss = rn.crossEntropy(model.forward(x), labels);
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        losses.push(loss.item());
      }
      // a checkpoint downloaded and dropped back in: bytes, with no Buffer (a page has none)
      const bytes = rn.encodeCheckpoint(model, { model: rn.modelConfig('small-cnn', 'rn'), seed: 0, training: {} });
      const loaded = rn.decodeCheckpoint(bytes.slice().buffer, 'dropped.safetensors').model;
      const logits = (m) => Array.from(rn.noGrad(() => m.eval().forward(x)).data);
      const checkpointSame = JSON.stringify(logits(model)) === JSON.stringify(logits(loaded));
      return JSON.stringify({ backend: backend.name, losses, checkpointSame, hasBuffer: typeof Buffer !== 'undefined', hasProcess: typeof process !== 'undefined' });
    })()`, page) as string) as { backend: string; losses: number[]; checkpointSame: boolean; hasBuffer: boolean; hasProcess: boolean };
    expect(result.hasProcess).toBe(false);
    expect(result.hasBuffer).toBe(false);
    expect(result.checkpointSame).toBe(true);
    expect(result.backend).toBe('webasm');
    expect(result.losses.every(Number.isFinite)).toBe(true);
    expect(result.losses[5]!).toBeLessThan(result.losses[0]! * 0.8);
  });
});

describe('checkpoints as bytes', () => {
  it('decodeCheckpoint(encodeCheckpoint(model)) from an ArrayBuffer gives the same model: same logits', () => {
    const model = buildModel(modelConfig('resnet8', 'rn'), 3).eval();
    // weights and running averages no fresh model of this seed has: only the stored tensors give these logits
    for (const [, tensor] of [...model.namedParameters(), ...model.namedBuffers()]) {
      for (let i = 0; i < tensor.size; i++) tensor.data[i] = (tensor.data[i] as number) * 1.25 + 0.01 * Math.sin(i);
    }
    const bytes = encodeCheckpoint(model, { model: modelConfig('resnet8', 'rn'), seed: 3, training: { epochs: 0 } });
    // a copy in a fresh ArrayBuffer, as a page gets a dropped file
    const { model: loaded, metadata } = decodeCheckpoint(bytes.slice().buffer);
    loaded.eval();
    expect(metadata.model.architecture).toBe('resnet8');
    const x = rand([2, 1, 28, 28], { random: new Random(5) });
    const logits = (m: typeof model) => Array.from(noGrad(() => m.forward(x)).data);
    expect(logits(loaded)).toEqual(logits(model));
  });

  it('names what is wrong with bytes that are not a checkpoint', () => {
    expect(() => decodeCheckpoint(new Uint8Array([1, 2, 3]), 'dropped.safetensors')).toThrow(/dropped\.safetensors/);
  });
});
