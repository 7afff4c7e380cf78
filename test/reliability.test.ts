/**
 * Issue 29's bad-input and process cases, one test (or more) per case: each
 * failed on the code before its fix.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRunning } from '../src/checkpoint/atomic-write.js';
import { renderReport } from '../src/experiments/report.js';
import type { ReproductionResults } from '../src/experiments/results.js';
import { runReproduction } from '../src/experiments/reproduce.js';
import { presetSettings, type ReproductionSettings } from '../src/experiments/settings.js';

function cli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeout?: number } = {}) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(process.cwd(), 'src/cli/main.ts'), ...args], {
    encoding: 'utf8', env: { ...process.env, ...options.env }, cwd: options.cwd ?? process.cwd(), timeout: options.timeout ?? 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, signal: result.signal };
}

const scratch = (name: string) => mkdtempSync(join(tmpdir(), `robustnorm-${name}-`));

function tinySettings(): ReproductionSettings {
  return { ...presetSettings('smoke'), trainLimit: 24, testLimit: 6, sweepLimit: 4, batchSize: 6, epochs: 1, advIter: 1, epsSweep: [0.1], batchSizes: [1, 4], powers: [0.2, 1] };
}

const fixture = () => JSON.parse(readFileSync(new URL('./fixtures/results-tiny.json', import.meta.url), 'utf8')) as ReproductionResults;

describe('issue 29, case 6: results.json of the wrong shape', () => {
  it.each([['{}'], ['null'], ['[]'], ['{"settings": {}}'], ['{"settings": {}, "metadata": {}}']])('refuses %s, naming the file', async (text) => {
    const out = scratch('shape');
    writeFileSync(join(out, 'results.json'), text);
    await expect(runReproduction({ ...tinySettings(), experiments: [1] }, { out, command: 'test' }))
      .rejects.toThrow(new RegExp(`${join(out, 'results.json').replace(/[.]/g, '\\.')} is not a reproduction's results\\.json \\(.+\\); move it away`));
  });

  it('refuses a rows.json of the wrong shape, naming the file', async () => {
    const out = scratch('rows');
    writeFileSync(join(out, 'rows.json'), 'null');
    await expect(runReproduction({ ...tinySettings(), experiments: [1] }, { out, command: 'test' })).rejects.toThrow(/rows\.json is not a reproduction's rows\.json/);
  }, 120_000);
});

describe('issue 29, case 10: reused models trained for other epochs', () => {
  it('says in the intro and the settings how many epochs the reused models hold', () => {
    const results = fixture();
    results.metadata.epochs = results.settings.epochs = 1;
    for (const model of results.metadata.models) model.epochs = 2;
    const report = renderReport(results);
    expect(report).not.toMatch(/1 epoch\(s\)[,)]/);
    expect(report).toContain('2 epoch(s) (models trained by an earlier run in this folder were reused; this run asked for 1)');
    expect(report.match(/2 epoch\(s\) \(models trained by an earlier run/g)).toHaveLength(2);
  });
});

describe('issue 29, case 12: an ε out of range is refused before any work', () => {
  it('reproduce --eps 1e9 fails before training (no models folder)', async () => {
    const out = scratch('eps');
    await expect(runReproduction({ ...tinySettings(), eps: 1e9, advEps: 1e9 }, { out, command: 'test' })).rejects.toThrow(/eps 1000000000 \(paper units\) cannot be used: .*larger than the whole input range/);
    expect(() => readFileSync(join(out, 'models'))).toThrow(/ENOENT/);
  });

  it('train --adversarial pgd --adv-eps 100 fails before the first epoch and writes nothing', () => {
    const out = scratch('adv-eps');
    const result = cli(['train', '--limit', '32', '--test-limit', '8', '--epochs', '1', '--adversarial', 'pgd', '--adv-eps', '100', '--out', out]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/--adv-eps 100 .*larger than the whole input range/);
    expect(result.stderr).not.toMatch(/training small-cnn/);
    expect(() => readFileSync(join(out, 'metrics.jsonl'))).toThrow(/ENOENT/);
  });
});

describe('issue 29, case 21: npm commands print no warning about the project config', () => {
  it('npm pkg get name in the project prints nothing on stderr; CI sets npm_config_jobs for its build', () => {
    const env = { ...process.env };
    for (const key of Object.keys(env)) if (key.toLowerCase() === 'npm_config_jobs') delete env[key];
    const result = spawnSync('npm', ['pkg', 'get', 'name'], { encoding: 'utf8', cwd: process.cwd(), env });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('"robustnorm"');
    expect(result.stderr).not.toMatch(/Unknown project config/);
    expect(readFileSync('.ci/run', 'utf8')).toMatch(/^npm_config_jobs=max npm ci /m);
  });
});

const smallTrain = (out: string, ...more: string[]) => ['train', '--limit', '32', '--test-limit', '8', '--batch-size', '16', '--epochs', '1', '--out', out, ...more];

describe('issue 29, case 2: --resume with no checkpoint', () => {
  it('is refused, naming the missing checkpoint, and metrics.jsonl is kept', () => {
    const out = scratch('resume-none');
    writeFileSync(join(out, 'metrics.jsonl'), '{"epoch":1}\n');
    const result = cli(smallTrain(out, '--resume'));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/--resume: there is no checkpoint to resume from \(.*checkpoint\.safetensors does not exist\)/);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe('{"epoch":1}\n');
    const empty = scratch('resume-empty');
    expect(cli(smallTrain(empty, '--resume')).stderr).toMatch(/no checkpoint to resume from/);
  });
});

describe('issue 29, case 14: a run that fails in its first batch', () => {
  it('leaves no metrics.jsonl, and the corrected rerun is accepted', () => {
    const out = scratch('diverge');
    const failed = cli(smallTrain(out, '--lr', '1e30'));
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/training diverged.*start again/);
    expect(() => readFileSync(join(out, 'metrics.jsonl'))).toThrow(/ENOENT/);
    const again = cli(smallTrain(out));
    expect(again.code, again.stderr).toBe(0);
  });

  it('an empty metrics.jsonl left by an earlier failed run does not block a fresh run', () => {
    const out = scratch('empty-metrics');
    writeFileSync(join(out, 'metrics.jsonl'), '');
    const again = cli(smallTrain(out));
    expect(again.code, again.stderr).toBe(0);
  });
});

describe('issue 29, case 15: the orphan stop says what to run, and that command is accepted', () => {
  // ROBUSTNORM_PARENT_PID names a parent that is not this process's: it stops at its first step as an orphan would
  const orphan = { ROBUSTNORM_PARENT_PID: '999999' };

  it('stopped before anything was saved: the same command starts it', () => {
    const out = scratch('orphan-fresh');
    const stopped = cli(smallTrain(out), { env: orphan });
    expect(stopped.code).not.toBe(0);
    expect(stopped.stderr).toMatch(/stopping\. Nothing was saved yet: run the same command again to start\./);
    const rerun = cli(smallTrain(out));
    expect(rerun.code, rerun.stderr).toBe(0);
  });

  it('stopped with a checkpoint saved: the advice adds --resume, and that command continues', () => {
    const out = scratch('orphan-saved');
    expect(cli(smallTrain(out)).code).toBe(0);
    const stopped = cli(smallTrain(out, '--epochs', '2', '--force'), { env: orphan });
    expect(stopped.code).not.toBe(0);
    expect(stopped.stderr).toMatch(/stopping\. Run the same command again with --resume added to continue from its last saved epoch\./);
    const resumed = cli(smallTrain(out, '--epochs', '2', '--force', '--resume'));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line).epoch)).toEqual([1, 2]);
    const again = cli(smallTrain(out, '--epochs', '3', '--resume'), { env: orphan });
    expect(again.stderr).toMatch(/stopping\. Run the same command again to resume\./);
  });
});

describe('issue 29, case 13: the progress bar leaves line wrapping on', () => {
  // `script` (util-linux) gives the command a terminal, so the bar is drawn as a user sees it
  it.runIf(existsSync('/usr/bin/script'))('never sends ESC[?7l (Ctrl-C could not turn wrapping on again)', () => {
    const dir = scratch('wrap');
    const transcript = join(dir, 'terminal.txt');
    const command = `${process.execPath} --import tsx src/cli/main.ts train --limit 64 --test-limit 32 --batch-size 32 --epochs 1 --out ${join(dir, 'run')}`;
    const result = spawnSync('/usr/bin/script', ['-qefc', command, transcript], { encoding: 'utf8', env: { ...process.env, COLUMNS: '60' } });
    expect(result.status, result.stderr).toBe(0);
    const terminal = readFileSync(transcript, 'utf8');
    expect(terminal).toContain('\x1b[1G'); // the bar was drawn in place
    expect(terminal).not.toContain('\x1b[?7l');
  });
});

describe('issue 29, case 16: stale .lock files', () => {
  const options = (out: string) => ({
    dataset: 'mnist' as const, model: 'small-cnn', norm: 'bn', power: 0.2, epochs: 1, batchSize: 16, lr: 0.05, momentum: 0.9, weightDecay: 0,
    nesterov: false, milestones: [], gamma: 0.1, seed: 0, limit: 16, testLimit: 8, flip: false, out, saveEveryEpoch: false, resume: false,
  });

  it('takes over a lock whose pid now belongs to another process, and names .lock when refusing', async () => {
    const { trainingRun } = await import('../src/training/run.js');
    const { processStartTime } = await import('../src/training/run-folder.js');
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    await new Promise((resolve) => other.on('spawn', resolve));
    try {
      const pid = other.pid as number;
      // the recorded start time is not this process's: the pid was reused
      const reused = scratch('lock-reused');
      writeFileSync(join(reused, '.lock'), `${pid} 1`);
      expect(trainingRun(options(reused)).history).toHaveLength(1);
      // a lock in the old form (pid alone), written before its pid's process started
      const old = scratch('lock-old');
      writeFileSync(join(old, '.lock'), String(pid));
      utimesSync(join(old, '.lock'), new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
      expect(trainingRun(options(old)).history).toHaveLength(1);
      // held by the running process it names: refused, naming the lock file
      const held = scratch('lock-held');
      writeFileSync(join(held, '.lock'), `${pid} ${processStartTime(pid)}`);
      expect(() => trainingRun(options(held))).toThrow(new RegExp(`in use by another run \\(process ${pid}\\); its lock file ${join(held, '.lock').replace(/[.]/g, '\\.')} says so`));
    } finally {
      other.kill();
    }
  }, 120_000);
});

describe('issue 29, case 17: an output folder that cannot be used', () => {
  it('--out \'\' and a folder under a file say what is wrong', () => {
    const empty = cli(smallTrain(''));
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toMatch(/the output folder is an empty name/);
    const dir = scratch('notdir');
    writeFileSync(join(dir, 'file'), 'x');
    const underFile = cli(smallTrain(join(dir, 'file', 'run')));
    expect(underFile.code).not.toBe(0);
    expect(underFile.stderr).toMatch(/cannot use the output folder .*file\/run: a part of the path is a file, not a folder \(ENOTDIR\); choose another --out/);
  });

  it.runIf(process.getuid?.() !== 0)('a read-only folder says permission denied', () => {
    const dir = scratch('readonly');
    chmodSync(dir, 0o555);
    const result = cli(smallTrain(join(dir, 'run')));
    expect(result.stderr).toMatch(/cannot use the output folder .*: permission denied/);
  });
});

describe('issue 29, case 19: numeric flags take decimal numbers only', () => {
  it.each([['--lr', '0x10'], ['--lr', 'Infinity'], ['--lr', ''], ['--lr', '1e'], ['--momentum', '0b1'], ['--epochs', '0x2'], ['--seed', ' 1']])('%s %j is a usage error', (flag, value) => {
    const out = scratch('decimal');
    const result = cli(smallTrain(out, flag, value));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(new RegExp(`${flag} <[a-z]+>' argument '${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' is invalid`));
    expect(result.stderr).toMatch(/Usage: robustnorm train/);
  });

  it('takes plain and exponent decimals', () => {
    const out = scratch('decimal-ok');
    const result = cli(smallTrain(out, '--lr', '.05', '--weight-decay', '5e-4'));
    expect(result.code, result.stderr).toBe(0);
  });
});

describe('issue 29, case 18: kill -9 on npm run ends the training it started', () => {
  it.runIf(process.platform === 'linux')('the training process stops when npm is killed', async () => {
    const out = scratch('npm-kill');
    const npm = spawn('npm', ['run', '--silent', 'robustnorm', '--', ...smallTrain(out, '--epochs', '10000')], { stdio: 'ignore', env: { ...process.env } });
    let trainer = 0;
    try {
      for (let i = 0; i < 600 && trainer === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        if (existsSync(join(out, 'metrics.jsonl'))) trainer = Number(readFileSync(join(out, '.lock'), 'utf8').split(' ')[0]);
      }
      expect(trainer).toBeGreaterThan(0); // it is training (an epoch was written)
      process.kill(npm.pid as number, 'SIGKILL');
      let running = true;
      for (let i = 0; i < 600 && running; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        running = isRunning(trainer);
      }
      expect(running).toBe(false);
    } finally {
      if (trainer > 0 && isRunning(trainer)) process.kill(trainer, 'SIGKILL');
    }
  }, 180_000);
});

describe('issue 29, cases 4, 7, 8, 9: checkpoints that are not what they claim', () => {
  const load = async () => {
    const { buildModel, modelConfig } = await import('../src/models/build.js');
    const checkpoint = await import('../src/checkpoint/checkpoint.js');
    const safetensors = await import('../src/checkpoint/safetensors.js');
    const { Tensor } = await import('../src/tensor/tensor.js');
    const model = () => buildModel(modelConfig('small-cnn', 'bn'), 0);
    const metadata = { model: modelConfig('small-cnn', 'bn'), seed: 0, training: { dataset: 'mnist', history: [{ epoch: 1 }] } };
    /** A checkpoint whose robustnorm metadata is `meta` as given (any JSON). */
    const withMetadata = (meta: unknown) => {
      const tensors = model().stateDict();
      return safetensors.encodeSafetensors(tensors, { robustnorm: typeof meta === 'string' ? meta : JSON.stringify({ format: checkpoint.CHECKPOINT_FORMAT, ...(meta as object) }) });
    };
    return { model, metadata, withMetadata, checkpoint, safetensors, Tensor };
  };

  it('case 4: a negative running_var or running_range is refused when read', async () => {
    const { checkpoint, model, metadata } = await load();
    const bn = model();
    const [name, runningVar] = [...bn.stateDict()].find(([key]) => key.endsWith('running_var'))!;
    runningVar.data[2] = -0.5;
    expect(() => checkpoint.decodeCheckpoint(checkpoint.encodeCheckpoint(bn, metadata), 'neg.safetensors')).toThrow(`neg.safetensors: "${name}" holds -0.5 at index 2; a running variance cannot be negative`);
    const { buildModel, modelConfig } = await import('../src/models/build.js');
    const rn = buildModel(modelConfig('small-cnn', 'rn'), 0);
    const [, range] = [...rn.stateDict()].find(([key]) => key.endsWith('running_range'))!;
    range.data[0] = -1;
    expect(() => checkpoint.decodeCheckpoint(checkpoint.encodeCheckpoint(rn, { ...metadata, model: modelConfig('small-cnn', 'rn') }), 'rn.safetensors')).toThrow(/a running range cannot be negative/);
  });

  it('case 7: /dev/zero and a folder are refused as not regular files, at once', () => {
    const result = cli(['eval', '--checkpoint', '/dev/zero'], { timeout: 30_000 });
    expect(result.signal).toBeNull(); // it ended by itself
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/\/dev\/zero: not a valid checkpoint: not a regular file \(a character device\)/);
    const folder = cli(['eval', '--checkpoint', tmpdir()], { timeout: 30_000 });
    expect(folder.stderr).toMatch(/not a regular file \(a folder\)/);
  });

  it('case 8: metadata of the wrong types, deep nesting and huge strings are named, briefly', async () => {
    const { checkpoint, metadata, withMetadata } = await load();
    const decode = (bytes: Uint8Array) => () => checkpoint.decodeCheckpoint(bytes, 'm.safetensors');
    expect(decode(withMetadata({ ...metadata, training: null }))).toThrow('m.safetensors: the training state is not an object (null)');
    expect(decode(withMetadata({ ...metadata, training: { history: 'abc' } }))).toThrow('m.safetensors: the training history is "abc", not a list of epoch records');
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(decode(withMetadata(`{"format":"${checkpoint.CHECKPOINT_FORMAT}","deep":${deep}}`))).toThrow(/robustnorm metadata nests deeper than 32 levels/);
    let error: Error | undefined;
    try {
      checkpoint.decodeCheckpoint(withMetadata({ ...metadata, model: { ...metadata.model, architecture: 'x'.repeat(20_000_000) } }), 'm.safetensors');
    } catch (caught) {
      error = caught as Error;
    }
    expect(error?.message).toMatch(/the model's architecture is "x+… \(20000002 characters\), not a model name/);
    expect(error!.message.length).toBeLessThan(300);
  });

  it('case 8: a safetensors header nested deeply is refused by name', async () => {
    const { safetensors } = await load();
    const json = new TextEncoder().encode(`{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}`);
    const bytes = new Uint8Array(8 + json.length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
    bytes.set(json, 8);
    expect(() => safetensors.decodeSafetensors(bytes, 'deep.safetensors')).toThrow('deep.safetensors: not a valid checkpoint: header nests deeper than 32 levels');
  });

  it('case 9: momentum of another shape, or under an unknown name, is refused on resume', async () => {
    const { checkpoint, model, Tensor } = await load();
    const { SGD } = await import('../src/optim/sgd.js');
    const net = model();
    const [name, parameter] = net.namedParameters().find(([, tensor]) => tensor.shape.length === 4)!;
    const optimizer = () => new SGD(net.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 0, nesterov: false });
    const flat = new Map([[name, new Tensor(new Float32Array(parameter.size), [parameter.size])]]);
    expect(() => checkpoint.restoreMomentum(optimizer(), net, flat)).toThrow(`the momentum of ${name} has shape [${parameter.size}], its parameter [${parameter.shape.join(', ')}]`);
    const stray = new Map([['conv9.weight', new Tensor(new Float32Array(4), [4])]]);
    expect(() => checkpoint.restoreMomentum(optimizer(), net, stray)).toThrow('checkpoint: momentum saved for "conv9.weight", which the model has no parameter of');
  });
});

describe('issue 29, case 5: which dataset folder is read', () => {
  /** A tiny Fashion-MNIST-shaped IDX folder: `count` images of one gray level, labels i mod 10. */
  function idxFolder(count: number, gray: number): string {
    const dir = scratch('idx');
    const idx = (dims: number[], fill: (i: number) => number, size: number) => {
      const bytes = Buffer.alloc(4 + 4 * dims.length + size);
      bytes[2] = 0x08;
      bytes[3] = dims.length;
      dims.forEach((dim, i) => bytes.writeUInt32BE(dim, 4 + 4 * i));
      for (let i = 0; i < size; i++) bytes[4 + 4 * dims.length + i] = fill(i);
      return bytes;
    };
    for (const prefix of ['train', 't10k']) {
      writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), idx([count, 28, 28], (i) => (Math.floor(i / 784) % 10) * gray, count * 784));
      writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), idx([count], (i) => i % 10, count));
    }
    return dir;
  }

  it('FASHION_MNIST_DIR naming a missing folder is an error, not a fall-back to another copy', async () => {
    const { fashionMnistDir } = await import('../src/data/datasets.js');
    const saved = process.env.FASHION_MNIST_DIR;
    process.env.FASHION_MNIST_DIR = '/nonexistent';
    try {
      expect(() => fashionMnistDir()).toThrow('FASHION_MNIST_DIR=/nonexistent: no such folder');
    } finally {
      if (saved === undefined) delete process.env.FASHION_MNIST_DIR;
      else process.env.FASHION_MNIST_DIR = saved;
    }
  });

  it('a missing --data-dir for mnist-full is an error naming it', async () => {
    const { loadDataset } = await import('../src/data/datasets.js');
    expect(() => loadDataset('mnist-full', { dataDir: '/nonexistent/idx' })).toThrow('--data-dir /nonexistent/idx: no such folder');
  });

  it('eval of a checkpoint trained with --data-dir reads that folder, and says so', () => {
    const dir = idxFolder(40, 20);
    const out = scratch('idx-run');
    const trained = cli(['train', '--dataset', 'fashion-mnist', '--data-dir', dir, '--limit', '32', '--test-limit', '8', '--batch-size', '16', '--epochs', '1', '--out', out]);
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stderr).toContain(`fashion-mnist images from ${dir}`);
    const evaluated = cli(['eval', '--checkpoint', join(out, 'checkpoint.safetensors'), '--json'], { env: { FASHION_MNIST_DIR: '' } });
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const result = JSON.parse(evaluated.stdout);
    expect(result.source).toBe(dir);
    expect(result.images).toBe(40);
    const text = cli(['eval', '--checkpoint', join(out, 'checkpoint.safetensors')]);
    expect(text.stdout).toContain(`40 fashion-mnist test images from ${dir}`);
  });
});

describe('issue 29, case 11: --save-examples keeps an existing .png', () => {
  it('refuses to replace it without --force, before any attack; replaces it with --force', () => {
    const out = scratch('examples');
    expect(cli(smallTrain(out)).code).toBe(0);
    const png = join(out, 'mine.png');
    writeFileSync(png, 'my picture');
    const attack = ['attack', '--checkpoint', join(out, 'checkpoint.safetensors'), '--attack', 'fgsm', '--stats', 'population', '--limit', '4', '--batch-size', '4', '--save-examples', png];
    const refused = cli(attack);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`--save-examples ${png}: the file exists; pass --force to replace it`);
    expect(readFileSync(png, 'utf8')).toBe('my picture');
    const forced = cli([...attack, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
  });
});
