/**
 * Issue 29's bad-input and process cases, one test (or more) per case: each
 * failed on the code before its fix.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
