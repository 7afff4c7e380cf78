import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
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

  it('says clearly when a checkpoint is not one', () => {
    const result = cli('eval', '--checkpoint', 'package.json');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/package\.json: not a valid checkpoint/);
  });
});
