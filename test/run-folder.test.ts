/**
 * A training run's folder (src/training/run.ts, run-folder.ts): no second run
 * into a folder in use, no silent replacement of an earlier run, and a resume
 * only with the settings the checkpoint was trained with.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trainingRun, type TrainingRunOptions } from '../src/index.js';
import { LOCK_FILE, settingMismatches } from '../src/training/run-folder.js';

function options(out: string, overrides: Partial<TrainingRunOptions> = {}): TrainingRunOptions {
  return {
    dataset: 'mnist', model: 'small-cnn', norm: 'bn', power: 0.2, epochs: 1, batchSize: 16, lr: 0.05, momentum: 0.9, weightDecay: 1e-4,
    nesterov: false, milestones: [30], gamma: 0.1, seed: 0, limit: 32, testLimit: 8, flip: false, out, saveEveryEpoch: false, resume: false, ...overrides,
  };
}

const metricLines = (out: string) => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { epoch: number; run: string });

describe('a training run\'s folder', () => {
  it('refuses to replace an earlier run without --resume or --force, and starts over with --force', () => {
    const out = mkdtempSync(join(tmpdir(), 'run-folder-'));
    trainingRun(options(out));
    expect(() => trainingRun(options(out, { norm: 'rn' }))).toThrow(/already holds a training run \(checkpoint.safetensors, metrics.jsonl\); pass --resume to continue it, or --force/);
    trainingRun(options(out, { force: true }));
    expect(metricLines(out).map((line) => line.epoch)).toEqual([1]); // not two "epoch 1" lines
    expect(existsSync(join(out, LOCK_FILE))).toBe(false); // released
  });

  it('resumes only with the checkpoint\'s settings, names each difference, and says when there is nothing to do', () => {
    const out = mkdtempSync(join(tmpdir(), 'run-folder-'));
    trainingRun(options(out));
    expect(() => trainingRun(options(out, { resume: true, epochs: 2, lr: 0.1, seed: 3 }))).toThrow(/other settings: lr 0.1 \(the checkpoint: 0.05\); seed 3 \(the checkpoint: 0\)\. .*--force/);
    const lines: string[] = [];
    const done = trainingRun(options(out, { resume: true }), { log: (line) => lines.push(line) });
    expect(done.history).toHaveLength(1);
    expect(lines.join('\n')).toMatch(/nothing to do: .* already has 1 epoch\(s\), and 1 were asked for/);
    trainingRun(options(out, { resume: true, epochs: 2 }));
    const metrics = metricLines(out);
    expect(metrics.map((line) => line.epoch)).toEqual([1, 2]);
    expect(metrics[0]?.run).not.toBe(metrics[1]?.run); // each line says which run wrote it
    trainingRun(options(out, { resume: true, epochs: 3, lr: 0.2, force: true }));
    expect(metricLines(out).map((line) => line.epoch)).toEqual([1, 2, 3]);
  });

  it('refuses a folder locked by a running process, and takes over a lock left by one that ended', async () => {
    const out = mkdtempSync(join(tmpdir(), 'run-folder-'));
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
    try {
      writeFileSync(join(out, LOCK_FILE), String(sleeper.pid));
      expect(() => trainingRun(options(out))).toThrow(new RegExp(`in use by another run \\(process ${sleeper.pid}\\)`));
    } finally {
      sleeper.kill();
      await new Promise((resolve) => sleeper.on('exit', resolve));
    }
    trainingRun(options(out)); // the lock's owner has ended
    expect(metricLines(out)).toHaveLength(1);
  });

  it('compares every recorded setting, an unrecorded one counting as unset', () => {
    expect(settingMismatches({ lr: 0.1, limit: 100, milestones: [3] }, { lr: 0.1, milestones: [3] })).toEqual(['limit unset (the checkpoint: 100)']);
    expect(settingMismatches({ lr: 0.1 }, { lr: 0.1, limit: 5 })).toEqual(['limit 5 (the checkpoint: unset)']);
  });
});
