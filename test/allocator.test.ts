import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isQuickInvocation, parentHasEnded, rememberParent, wantsAllocatorRelaunch } from '../src/cli/allocator.js';

const glibc = process.platform === 'linux' && typeof (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime === 'string';

/** A program that relaunches itself, then reports what it sees and exits with status 3. */
function runProbe(env: NodeJS.ProcessEnv) {
  const dir = mkdtempSync(join(tmpdir(), 'allocator-'));
  const probe = join(dir, 'probe.mts');
  const allocator = pathToFileURL(join(process.cwd(), 'src/cli/allocator.ts')).href;
  writeFileSync(probe, [
    `import { relaunchWithAllocatorSettings } from ${JSON.stringify(allocator)};`,
    'await relaunchWithAllocatorSettings();',
    "console.log(`${process.env.ROBUSTNORM_ALLOCATOR ?? 'unset'} ${process.env.MALLOC_TRIM_THRESHOLD_ ?? 'unset'} ${process.argv.slice(2).join(',')}`);",
    'process.exitCode = 3;',
  ].join('\n'));
  const { MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_, ROBUSTNORM_ALLOCATOR, ...clean } = process.env;
  const result = spawnSync(process.execPath, ['--import', 'tsx', probe, 'a', 'b c'], { encoding: 'utf8', env: { ...clean, ...env } });
  rmSync(dir, { recursive: true, force: true });
  return { code: result.status, lines: result.stdout.trim().split('\n') };
}

describe('the malloc relaunch (src/cli/allocator.ts)', () => {
  it.runIf(glibc)('runs the program once more with the settings, passing arguments and exit status', () => {
    const { code, lines } = runProbe({});
    expect(lines).toEqual(['tuned 1073741824 a,b c']); // printed by the child only
    expect(code).toBe(3);
  });

  it('is off with ROBUSTNORM_ALLOCATOR=default or when the variables are already set', () => {
    expect(runProbe({ ROBUSTNORM_ALLOCATOR: 'default' })).toEqual({ code: 3, lines: ['default unset a,b c'] });
    expect(runProbe({ MALLOC_TRIM_THRESHOLD_: '5' })).toEqual({ code: 3, lines: ['unset 5 a,b c'] });
    expect(wantsAllocatorRelaunch({ ROBUSTNORM_ALLOCATOR: 'tuned' })).toBe(false);
    expect(wantsAllocatorRelaunch({ MALLOC_MMAP_THRESHOLD_: '1' })).toBe(false);
  });

  it('is skipped for help and version, which end at once', () => {
    expect(isQuickInvocation([])).toBe(true);
    expect(isQuickInvocation(['train', '--help'])).toBe(true);
    expect(isQuickInvocation(['help', 'train'])).toBe(true);
    expect(isQuickInvocation(['--version'])).toBe(true);
    expect(isQuickInvocation(['train', '--epochs', '3'])).toBe(false);
  });

  it('tells a relaunched child when the process that started it has ended', () => {
    expect(parentHasEnded(null, 1)).toBe(false); // not a relaunched child
    expect(parentHasEnded(4242, 4242)).toBe(false);
    expect(parentHasEnded(4242, 1)).toBe(true); // re-parented
    const env: NodeJS.ProcessEnv = { ROBUSTNORM_PARENT_PID: String(process.ppid) };
    rememberParent(env);
    expect(env.ROBUSTNORM_PARENT_PID).toBeUndefined();
    expect(parentHasEnded()).toBe(false);
  });
});
