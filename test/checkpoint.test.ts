import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { restoreMomentum } from '../src/checkpoint/checkpoint.js';
import { loadCheckpoint, saveCheckpoint } from '../src/checkpoint/checkpoint-file.js';
import { SGD } from '../src/optim/sgd.js';
import { decodeSafetensors, encodeSafetensors } from '../src/checkpoint/safetensors.js';
import { buildModel, modelConfig } from '../src/models/build.js';
import { crossEntropy, fromArray, noGrad, rand, Random, type Tensor } from '../src/index.js';

const folder = () => mkdtempSync(join(tmpdir(), 'robustnorm-ckpt-'));

/** Debian's python3-torch lives in the system Python; the check below is skipped where it is absent. */
const PYTHON = '/usr/bin/python3';
const hasTorch = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;

describe('checkpoints (safetensors + JSON metadata)', () => {
  it('round-trips every parameter and buffer bit-exactly', () => {
    const config = modelConfig('resnet8', 'rn', 0.5);
    const model = buildModel(config, 3);
    // Make the buffers non-trivial.
    // (num_batches_tracked is a count, stored as int64)
    for (const [name, buffer] of model.namedBuffers()) buffer.data.forEach((_, i, data) => (data[i] = name.endsWith('num_batches_tracked') ? 7 + i : name.endsWith('running_range') ? 1 + Math.sin(i + 1) : Math.sin(i + 1)));
    const file = join(folder(), 'model.safetensors');
    saveCheckpoint(file, model, { model: config, seed: 3, training: { epochsDone: 2 } });
    const loaded = loadCheckpoint(file);
    const original = model.stateDict();
    const restored = loaded.model.stateDict();
    expect([...restored.keys()]).toEqual([...original.keys()]);
    for (const [name, tensor] of original) expect(Buffer.from((restored.get(name)!).data.buffer).equals(Buffer.from(tensor.data.buffer))).toBe(true);
    expect(loaded.metadata.training.epochsDone).toBe(2);
    expect(loaded.metadata.model.norm.power).toBe(0.5);
    expect([...original.keys()]).toContain('layer2.0.shortcut.1.running_range');
  });

  it('writes atomically (no temporary file left behind) and replaces the old checkpoint', () => {
    const dir = folder();
    const file = join(dir, 'c.safetensors');
    const config = modelConfig('small-cnn', 'bn');
    saveCheckpoint(file, buildModel(config, 1), { model: config, seed: 1, training: {} });
    saveCheckpoint(file, buildModel(config, 2), { model: config, seed: 2, training: {} });
    expect(readdirSync(dir)).toEqual(['c.safetensors']);
    expect(loadCheckpoint(file).metadata.seed).toBe(2);
  });

  it('gives a clear error for a truncated file', () => {
    const dir = folder();
    const file = join(dir, 'c.safetensors');
    const config = modelConfig('small-cnn', 'bn');
    saveCheckpoint(file, buildModel(config, 1), { model: config, seed: 1, training: {} });
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 100));
    expect(() => loadCheckpoint(file)).toThrow(/c\.safetensors: not a valid checkpoint: tensor "[^"]+" lies outside the data .*truncated/);
    writeFileSync(file, bytes.subarray(0, 5));
    expect(() => loadCheckpoint(file)).toThrow(/only 5 bytes/);
  });

  it('names the tensor whose shape does not match the model', () => {
    const config = modelConfig('small-cnn', 'bn');
    const model = buildModel(config, 1);
    const state = new Map(model.stateDict());
    state.set('bn2.running_var', fromArray([1, 2, 3], [3]));
    const file = join(folder(), 'bad.safetensors');
    writeFileSync(file, encodeSafetensors(state, { robustnorm: JSON.stringify({ format: 'robustnorm-checkpoint/1', model: config, seed: 1, training: {} }) }));
    expect(() => loadCheckpoint(file)).toThrow(/"bn2\.running_var" has shape \[3\] but the model expects \[32\]/);
  });

  it('names a momentum tensor whose size does not match its parameter', () => {
    const model = buildModel(modelConfig('small-cnn', 'bn'), 0);
    const [name, parameter] = model.namedParameters()[0] as [string, { shape: readonly number[] }];
    const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const wrong = new Map([[name, fromArray([1, 2, 3], [3])]]);
    expect(() => restoreMomentum(optimizer, model, wrong)).toThrow(new RegExp(`momentum of ${name.replace(/\./g, '\\.')} has shape \\[3\\], its parameter \\[${parameter.shape.join(', ')}\\]`));
  });

  it('names missing tensors', () => {
    const config = modelConfig('small-cnn', 'bn');
    const state = new Map(buildModel(config, 1).stateDict());
    state.delete('conv3.weight');
    const file = join(folder(), 'missing.safetensors');
    writeFileSync(file, encodeSafetensors(state, { robustnorm: JSON.stringify({ format: 'robustnorm-checkpoint/1', model: config, seed: 1, training: {} }) }));
    expect(() => loadCheckpoint(file)).toThrow(/missing conv3\.weight/);
  });

  it.each([
    ['a billion classes', { classes: 1e9 }, /classes must be a whole number from 2 to 10000, got 1000000000/],
    ['fractional classes', { classes: 2.5 }, /classes must be a whole number/],
    ['a huge depth', { architecture: 'resnet9999998' }, /deeper than the deepest built here, resnet1202/],
    ['an unknown norm', { norm: { kind: 'groupnorm' } }, /unknown norm "groupnorm"/],
    ['a negative power', { norm: { kind: 'rn', power: -1 } }, /power must be a positive number, got -1/],
    ['a zero input spread', { inputNormalization: { mean: [0.1], std: [0] } }, /input normalization must be/],
    ['no model at all', { model: null }, /the model config is not an object/],
  ])('refuses metadata with %s before building anything, naming the file', (_, change, message) => {
    const config = modelConfig('small-cnn', 'bn');
    const state = new Map(buildModel(config, 1).stateDict());
    const { model: replaced, ...fields } = change as { model?: unknown };
    const model = 'model' in change ? replaced : { ...config, ...fields };
    const file = join(folder(), 'hostile.safetensors');
    writeFileSync(file, encodeSafetensors(state, { robustnorm: JSON.stringify({ format: 'robustnorm-checkpoint/1', model, seed: 1, training: {} }) }));
    expect(() => loadCheckpoint(file)).toThrow(message);
    expect(() => loadCheckpoint(file)).toThrow(/hostile\.safetensors: /);
  });

  it('refuses a seed that is not a whole number', () => {
    const config = modelConfig('small-cnn', 'bn');
    const file = join(folder(), 'seed.safetensors');
    writeFileSync(file, encodeSafetensors(new Map(buildModel(config, 1).stateDict()), { robustnorm: JSON.stringify({ format: 'robustnorm-checkpoint/1', model: config, seed: 'x', training: {} }) }));
    expect(() => loadCheckpoint(file)).toThrow(/seed\.safetensors: the model's seed must be a whole number, got "x"/);
  });

  it.runIf(hasTorch)('loads strictly into the same PyTorch model (optimizer tensors left out, as the README says) and gives its logits', () => {
    const config = modelConfig('small-cnn', 'bn');
    const model = buildModel(config, 0);
    const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const images = rand([8, 1, 28, 28], { random: new Random(1) });
    for (let step = 0; step < 2; step++) {
      model.train();
      const loss = crossEntropy(model.forward(images), [0, 1, 2, 3, 4, 5, 6, 7]);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
    }
    model.eval();
    const dir = folder();
    saveCheckpoint(join(dir, 'model.safetensors'), model, { model: config, seed: 0, training: {} }, optimizer);
    const logits = noGrad(() => model.forward(images));
    writeFileSync(join(dir, 'expected.json'), JSON.stringify({ images: Array.from(images.data), logits: Array.from(logits.data) }));
    const result = spawnSync(PYTHON, [fileURLToPath(new URL('./fixtures/strict-load.py', import.meta.url)), join(dir, 'model.safetensors'), join(dir, 'expected.json')], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { maxDifference: number }).maxDifference).toBeLessThan(1e-4);
  }, 120_000);

  it('stores num_batches_tracked as int64, as PyTorch does, and reads it back', () => {
    const model = buildModel(modelConfig('small-cnn', 'bn'), 0);
    const state = new Map(model.stateDict());
    (state.get('bn1.num_batches_tracked') as Tensor).data[0] = 3;
    const bytes = encodeSafetensors(state, {});
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLength)).toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    expect(header['bn1.num_batches_tracked']?.dtype).toBe('I64');
    expect(header['bn1.running_mean']?.dtype).toBe('F32');
    const begin = header['bn1.num_batches_tracked']!.data_offsets[0];
    expect(new DataView(bytes.buffer, 8 + headerLength + begin, 8).getBigInt64(0, true)).toBe(3n);
    expect(decodeSafetensors(bytes, 'counts.safetensors').tensors.get('bn1.num_batches_tracked')?.data[0]).toBe(3);
    (state.get('bn1.num_batches_tracked') as Tensor).data[0] = 2.5;
    expect(() => encodeSafetensors(state, {})).toThrow(/the counter "bn1\.num_batches_tracked" holds 2\.5, not a whole number/);
  });

  it('refuses an int64 count beyond 2^53', () => {
    const header = Buffer.from(JSON.stringify({ n: { dtype: 'I64', shape: [], data_offsets: [0, 8] } }));
    const bytes = new Uint8Array(8 + header.length + 8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(header, 8);
    new DataView(bytes.buffer).setBigInt64(8 + header.length, 2n ** 60n, true);
    expect(() => decodeSafetensors(bytes, 'big.safetensors')).toThrow(/big\.safetensors: .*the count 1152921504606846976, beyond ±2\^53/);
  });

  it('decodes what it encodes, with the layout PyTorch expects', () => {
    const bytes = encodeSafetensors(new Map([['a', fromArray([1, 2, 3, 4], [2, 2])]]), { note: 'x' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLength)).toString());
    expect(header.a).toEqual({ dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] });
    const decoded = decodeSafetensors(bytes, 'mem');
    expect(decoded.tensors.get('a')!.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(decoded.metadata).toEqual({ note: 'x' });
  });

  it('enforces the safetensors format: an object of objects, whole offsets that tile the data, finite values', () => {
    /** safetensors bytes with this header (JSON) and `dataBytes` bytes of data, float32 values `fill`. */
    const craft = (header: unknown, dataBytes: number, fill = 1.5): Uint8Array => {
      const json = Buffer.from(JSON.stringify(header), 'utf8');
      const out = new Uint8Array(8 + json.length + dataBytes);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      const values = new Float32Array(dataBytes / 4).fill(fill);
      out.set(new Uint8Array(values.buffer), 8 + json.length);
      return out;
    };
    const f32 = (begin: number, end: number, shape = [(end - begin) / 4]) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });
    expect(decodeSafetensors(craft({ a: f32(0, 8), b: f32(8, 16) }, 16), 'ok.st').tensors.size).toBe(2);
    const cases: Array<[unknown, number, RegExp, number?]> = [
      [{ a: f32(0, 8), b: f32(4, 12) }, 12, /bad.st: not a valid checkpoint: tensor "b" \(bytes 4–12\) overlaps/],
      [{ a: f32(0, 4), b: f32(8, 12) }, 12, /bytes 4–8 of the data belong to no tensor/],
      [{ a: f32(0, 8) }, 12, /bytes 8–12 of the data belong to no tensor/],
      [{ a: { dtype: 'F32', shape: [1], data_offsets: [0.5, 4.5] } }, 8, /data_offsets \[0.5,4.5\]; offsets are whole numbers/],
      [{ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, 4, /shape \[1.5\]; dimensions are whole numbers/],
      [{ a: null }, 0, /tensor "a" is null, not an object/],
      [[1, 2], 0, /header is not a JSON object/],
      [{ __metadata__: { n: 1 }, a: f32(0, 4) }, 4, /__metadata__ is not an object of strings/],
      [{ a: f32(0, 8) }, 8, /tensor "a" holds NaN at index 0; weights must be finite/, Number.NaN],
    ];
    for (const [header, dataBytes, message, fill] of cases) {
      expect(() => decodeSafetensors(craft(header, dataBytes, fill), 'bad.st'), JSON.stringify(header)).toThrow(message);
    }
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, BigInt(200_000_000), true);
    expect(() => decodeSafetensors(huge, 'huge.st')).toThrow(/header length 200000000 is over the format's 100000000-byte cap/);
  });
});
