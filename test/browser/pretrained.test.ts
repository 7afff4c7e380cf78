/**
 * The playground's pretrained models (web/pretrained/): each shipped
 * checkpoint is what the recorded CLI command makes (rerun here, with the
 * recorded backend and one thread), and the first screen's digit is one
 * where FGSM fools BatchNorm with population statistics while batch
 * statistics and RobustNorm hold (recomputed here with the shipped models).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/index.js';
import { decodeSafetensors } from '../../src/checkpoint/safetensors.js';
import { attackDigit } from '../../web/attack-panel.js';
import { loadPretrained, pretrainedDir, readManifest, showsTheEffect } from '../../web/pretrained/first-digit.js';
import { state } from '../../web/state.js';

const scratch = mkdtempSync(join(tmpdir(), 'robustnorm-pretrained-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const manifest = readManifest() as ReturnType<typeof readManifest> & { files: Record<string, { file: string; norm: string; testAccuracy: number }> };

describe('the pretrained models', () => {
  for (const [slot, entry] of Object.entries(manifest.files)) {
    it(`${entry.file} is what the recorded command makes`, () => {
      const out = join(scratch, slot);
      const args = manifest.command.replace('{norm}', entry.norm).replace('{out}', out).split(' ');
      expect(args.slice(0, 3)).toEqual(['npm', 'run', 'robustnorm']);
      // npm run robustnorm is `tsx src/cli/main.ts`; run that directly, with the recorded environment
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args.slice(4)], { encoding: 'utf8', env: { ...process.env, ...manifest.environment } });
      expect(run.status, run.stderr).toBe(0);
      const made = decodeSafetensors(readFileSync(join(out, 'checkpoint.safetensors')), 'rerun');
      const shipped = decodeSafetensors(readFileSync(join(pretrainedDir, entry.file)), entry.file);
      expect([...shipped.tensors.keys()].sort()).toEqual([...made.tensors.keys()].sort());
      for (const [name, tensor] of shipped.tensors) {
        const again = made.tensors.get(name)!;
        expect(again.shape, name).toEqual(tensor.shape);
        expect(Buffer.from(again.data.buffer, again.data.byteOffset, again.data.byteLength).equals(Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength)), `${entry.file}: ${name} differs from the rerun`).toBe(true);
      }
      const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { testAccuracy: number });
      expect(metrics.at(-1)!.testAccuracy).toBe(entry.testAccuracy);
    });
  }

  it('the first screen\'s digit shows the effect: FGSM fools BatchNorm (P), BatchNorm (B) and RobustNorm hold', () => {
    setBackend('webasm');
    loadPretrained();
    const { index, eps, attack } = manifest.firstScreen;
    expect(attack).toBe('fgsm');
    const label = state.digits!.test.labels[index] as number;
    expect(showsTheEffect(attackDigit(index, 'fgsm', eps), label)).toBe(true);
    // (that it is the first such digit is web/pretrained/first-digit.ts's output; rechecking the 68 before it takes a minute)
  });
});
