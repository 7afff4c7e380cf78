import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', env: { ...process.env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('robustnorm CLI', () => {
  it('prints usage and exits non-zero on bad flags', () => {
    const badNumber = cli('train', '--epochs', 'two');
    expect(badNumber.code).not.toBe(0);
    expect(badNumber.stderr).toMatch(/--epochs <n>.*invalid.*positive integer/);
    expect(badNumber.stderr).toMatch(/Usage: robustnorm train/);
    const badChoice = cli('train', '--norm', 'groupnorm');
    expect(badChoice.code).not.toBe(0);
    expect(badChoice.stderr).toMatch(/Allowed choices are bn, rn, ln, none/);
    expect(cli('eval').stderr).toMatch(/required option '--checkpoint <path>'/);
    expect(cli('train', '--model', 'vgg').stderr).toMatch(/unknown model "vgg"/);
    const empty = cli('train', '--lr', '');
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toMatch(/--lr <rate>' argument '' is invalid/);
  });

  it('prints its version', () => {
    const version = cli('--version');
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  });

  it('trains, writes a checkpoint and metrics, resumes, and evaluates', () => {
    const out = mkdtempSync(join(tmpdir(), 'robustnorm-cli-'));
    const common = ['train', '--limit', '64', '--test-limit', '32', '--batch-size', '32', '--out', out, '--lr', '0.05'];
    const first = cli(...common, '--epochs', '1');
    expect(first.code, first.stderr).toBe(0);
    const record = JSON.parse(first.stdout.trim().split('\n').pop() as string);
    expect(record.epoch).toBe(1);
    expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(true);
    const resumed = cli(...common, '--epochs', '2', '--resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming .* after epoch 1/);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line).epoch)).toEqual([1, 2]);
    const evaluated = cli('eval', '--checkpoint', join(out, 'checkpoint.safetensors'), '--stats', 'batch', '--limit', '32', '--json');
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const result = JSON.parse(evaluated.stdout);
    expect(result.images).toBe(32);
    expect(result.statistics).toBe('batch');
    expect(result.accuracy).toBeGreaterThanOrEqual(0);
  });

  it('resolves paths against the folder the command was typed in (npm run sets INIT_CWD)', () => {
    const typedIn = mkdtempSync(join(tmpdir(), 'robustnorm-cwd-'));
    writeFileSync(join(typedIn, 'mine.safetensors'), 'not a checkpoint');
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'eval', '--checkpoint', 'mine.safetensors'], { encoding: 'utf8', env: { ...process.env, INIT_CWD: typedIn } });
    expect(result.status).not.toBe(0);
    // the file was found (and refused for what it is), not reported missing
    expect(result.stderr).toMatch(/mine\.safetensors/);
    expect(result.stderr).not.toMatch(/ENOENT|no such file|does not exist/i);
  });

  it('refuses a dataset whose IDX files hold no images, and writes no checkpoint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'robustnorm-empty-idx-'));
    const idx = (dims: number[]) => {
      const bytes = Buffer.alloc(4 + 4 * dims.length);
      bytes[2] = 0x08;
      bytes[3] = dims.length;
      dims.forEach((dim, i) => bytes.writeUInt32BE(dim, 4 + 4 * i));
      return bytes;
    };
    for (const prefix of ['train', 't10k']) {
      writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), idx([0, 28, 28]));
      writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), idx([0]));
    }
    const out = join(mkdtempSync(join(tmpdir(), 'robustnorm-cli-')), 'run');
    const result = cli('train', '--dataset', 'fashion-mnist', '--data-dir', dir, '--out', out, '--epochs', '1');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/fashion-mnist: no training images to use/);
    expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(false);
  });

  // `script` (util-linux) gives the command a terminal, so the progress bar is drawn as a user sees it
  it.runIf(existsSync('/usr/bin/script'))('draws its progress bar on a terminal without hiding the cursor (Ctrl-C could leave it hidden)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'robustnorm-tty-'));
    const transcript = join(dir, 'terminal.txt');
    const command = `${process.execPath} --import tsx src/cli/main.ts train --limit 64 --test-limit 32 --batch-size 32 --epochs 1 --out ${join(dir, 'run')}`;
    const result = spawnSync('/usr/bin/script', ['-qefc', command, transcript], { encoding: 'utf8', env: { ...process.env } });
    expect(result.status, result.stderr).toBe(0);
    const terminal = readFileSync(transcript, 'utf8');
    expect(terminal).toContain('\x1b[1G'); // the bar was drawn in place
    expect(terminal).not.toContain('\x1b[?25l'); // the cursor was never hidden
  });

  it('says clearly when a checkpoint is not one', () => {
    const result = cli('eval', '--checkpoint', 'package.json');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/package\.json: not a valid checkpoint/);
  });
});

describe('robustnorm attack', () => {
  it('attacks a checkpoint with every attack and two statistics modes, writing JSON and a PNG', () => {
    const out = mkdtempSync(join(tmpdir(), 'robustnorm-attack-'));
    const trained = cli('train', '--limit', '64', '--test-limit', '8', '--batch-size', '32', '--epochs', '1', '--out', out);
    expect(trained.code, trained.stderr).toBe(0);
    const png = join(out, 'examples.png');
    const result = cli('attack', '--checkpoint', join(out, 'checkpoint.safetensors'), '--attack', 'all', '--stats', 'population,batch', '--limit', '4', '--batch-size', '4', '--json', '--save-examples', png);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.epsPaper).toBe(0.2);
    expect(report.epsPixel).toBeCloseTo(0.2 * 0.3081, 10);
    expect(report.results.map((r: { statistics: string }) => r.statistics)).toEqual(['population', 'batch']);
    expect(report.results[0].attacks.map((a: { attack: string }) => a.attack)).toEqual(['fgsm', 'bim', 'mim', 'cw', 'pgd']);
    for (const r of report.results) for (const a of r.attacks) expect(a.accuracy).toBeLessThanOrEqual(1);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    // a bad --save-examples is refused before any attack runs, and nothing is overwritten
    const common = ['attack', '--checkpoint', join(out, 'checkpoint.safetensors'), '--attack', 'fgsm', '--limit', '4', '--batch-size', '4', '--save-examples'];
    writeFileSync(join(out, 'important.txt'), 'keep me');
    for (const [path, message] of [[join(out, 'important.txt'), /ending in \.png/], [out, /ending in \.png/], [join(out, 'dir.png'), /is a folder/], [join(out, 'missing', 'x.png'), /does not exist/]] as const) {
      if (path.endsWith('dir.png')) mkdirSync(path);
      const refused = cli(...common, path);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(message);
      expect(refused.stderr).not.toMatch(/attacking/);
    }
    expect(readFileSync(join(out, 'important.txt'), 'utf8')).toBe('keep me');
  });

  it.each([
    [['--attack', 'deepfool'], /unknown attack "deepfool"; choose from fgsm, bim, mim, cw, pgd or all/],
    [['--eps', '-0.1'], /--eps <eps>.*invalid.*non-negative number/],
    [['--eps-units', 'furlongs'], /Allowed choices are paper, pixel/],
    [['--stats', 'population,median'], /unknown normalization statistics "median"/],
    [['--batch-size', '0'], /--batch-size <n>.*invalid.*positive integer/],
  ])('rejects bad flags %j with usage and a non-zero exit', (flags, message) => {
    const result = cli('attack', '--checkpoint', 'x', ...flags);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/Usage: robustnorm attack/);
  });

  it('requires --checkpoint, and rejects an adversarial attack it cannot train with', () => {
    const missing = cli('attack');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/required option '--checkpoint <path>'/);
    const badTraining = cli('train', '--adversarial', 'fgsm');
    expect(badTraining.code).not.toBe(0);
    expect(badTraining.stderr).toMatch(/Allowed choices are pgd/);
  });

  it('adversarially trains with PGD', () => {
    const out = mkdtempSync(join(tmpdir(), 'robustnorm-adv-'));
    const result = cli('train', '--limit', '32', '--test-limit', '8', '--batch-size', '16', '--epochs', '1', '--adversarial', 'pgd', '--adv-iter', '2', '--out', out);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/on PGD examples \(ε = 0\.0300 paper units = 0\.0092 pixels, step 0\.0023 pixels, 2 steps, model in training mode\)/);
    const record = JSON.parse(result.stdout.trim().split('\n').pop() as string);
    expect(record.trainAccuracy).toBeGreaterThanOrEqual(0);
  });
});
