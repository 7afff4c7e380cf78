import { describe, expect, it } from 'vitest';
import { launcherHasEnded, npmLaunchers, parentHasEnded, watchParents } from '../src/cli/parent-watch.js';

describe('the orphan check (src/cli/parent-watch.ts)', () => {
  it('tells a command when the process named as its parent has ended', () => {
    expect(parentHasEnded(null, 1)).toBe(false); // no parent named
    expect(parentHasEnded(4242, 4242)).toBe(false);
    expect(parentHasEnded(4242, 1)).toBe(true); // re-parented
    const env: NodeJS.ProcessEnv = { ROBUSTNORM_PARENT_PID: String(process.ppid) };
    watchParents(env);
    expect(env.ROBUSTNORM_PARENT_PID).toBeUndefined();
    expect(parentHasEnded()).toBe(false);
    watchParents({ ROBUSTNORM_PARENT_PID: '999999' });
    expect(parentHasEnded()).toBe(true);
    watchParents({});
    expect(parentHasEnded()).toBe(false);
  });

  it.runIf(process.platform === 'linux')('finds no npm chain outside npm, and sees a launcher that is gone', () => {
    expect(npmLaunchers({})).toEqual([]);
    const self = npmLaunchers({ npm_lifecycle_event: 'test' })[0];
    expect(self?.pid).toBe(process.ppid);
    expect(launcherHasEnded([self!])).toBe(false);
    expect(launcherHasEnded([{ pid: self!.pid, start: '0' }])).toBe(true); // the pid now belongs to a process started at another time
  });
});
