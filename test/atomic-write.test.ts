import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type WriteBytes, writeFileAtomic } from '../src/checkpoint/atomic-write.js';

/** A process id no process has: above Linux's largest (2²²). */
const ENDED_PID = 4_194_304 + 12_345;

describe('writeFileAtomic', () => {
  it('writes text and bytes, replacing the file and leaving no temporary', () => {
    const folder = mkdtempSync(join(tmpdir(), 'atomic-'));
    const file = join(folder, 'sub', 'results.json');
    writeFileAtomic(file, '{"a":1}');
    writeFileAtomic(file, new Uint8Array([123, 125]));
    expect(readFileSync(file, 'utf8')).toBe('{}');
    expect(readdirSync(join(folder, 'sub'))).toEqual(['results.json']);
  });

  it('removes the temporaries of processes that ended, and keeps a running one\'s and other files\'', () => {
    const folder = mkdtempSync(join(tmpdir(), 'atomic-'));
    const file = join(folder, 'checkpoint.safetensors');
    const stale = `${file}.tmp-${ENDED_PID}`;
    const running = `${file}.tmp-${process.ppid}`;
    const other = join(folder, `other.safetensors.tmp-${ENDED_PID}`);
    for (const path of [stale, running, other]) writeFileSync(path, 'partial');
    writeFileAtomic(file, 'done');
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(running)).toBe(true);
    expect(existsSync(other)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('done');
  });
});

describe('writeFileAtomic on a full disk', () => {
  it('keeps writing after a short write, so every byte lands', () => {
    const folder = mkdtempSync(join(tmpdir(), 'atomic-'));
    const file = join(folder, 'checkpoint.safetensors');
    const bytes = new Uint8Array(10_000).map((_, i) => i % 251);
    let calls = 0;
    const shortWrites: WriteBytes = (descriptor, data, offset, length, position) => {
      calls += 1;
      return writeSync(descriptor, data, offset, Math.min(length, 4096), position);
    };
    writeFileAtomic(file, bytes, shortWrites);
    expect(calls).toBe(3);
    expect(new Uint8Array(readFileSync(file))).toEqual(bytes);
  });

  it('keeps the old file and names the file and ENOSPC when the disk takes no more (injected)', () => {
    const folder = mkdtempSync(join(tmpdir(), 'atomic-'));
    const file = join(folder, 'checkpoint.safetensors');
    writeFileSync(file, 'the last good checkpoint');
    const diskFills: WriteBytes = (descriptor, data, offset, length, position) => {
      if (offset > 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return writeSync(descriptor, data, offset, Math.min(length, 100), position);
    };
    expect(() => writeFileAtomic(file, new Uint8Array(1000), diskFills)).toThrow(
      `could not write ${file}: the disk is full (ENOSPC)`,
    );
    expect(readFileSync(file, 'utf8')).toBe('the last good checkpoint');
    expect(readdirSync(folder)).toEqual(['checkpoint.safetensors']);
  });

  it('refuses a write that reports no progress', () => {
    const folder = mkdtempSync(join(tmpdir(), 'atomic-'));
    const file = join(folder, 'results.json');
    expect(() => writeFileAtomic(file, 'abc', () => 0)).toThrow(/the disk took no more bytes after 0 of 3/);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(folder)).toEqual([]);
  });

  it.skipIf(!canMountTmpfs())('keeps the last good file on a real full tmpfs and says ENOSPC', () => {
    const mountPoint = mkdtempSync(join(tmpdir(), 'tiny-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint]);
    try {
      const file = join(mountPoint, 'checkpoint.safetensors');
      const good = new Uint8Array(200_000).fill(7);
      writeFileAtomic(file, good);
      writeFileSync(join(mountPoint, 'filler'), new Uint8Array(700_000));
      expect(() => writeFileAtomic(file, new Uint8Array(400_000).fill(9))).toThrow(
        `could not write ${file}: the disk is full (ENOSPC)`,
      );
      expect(new Uint8Array(readFileSync(file))).toEqual(good);
      expect(readdirSync(mountPoint).sort()).toEqual(['checkpoint.safetensors', 'filler']);
    } finally {
      execFileSync('umount', [mountPoint]);
    }
  });
});

/** Whether this process may mount a tmpfs (root in a machine that allows it; not in most containers or CI runners). */
function canMountTmpfs(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), 'mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
