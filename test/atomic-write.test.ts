import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../src/checkpoint/atomic-write.js';

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
