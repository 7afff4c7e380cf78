/**
 * Stops a long command whose starter was killed, instead of training on as an
 * orphan nobody can see or stop.
 *
 * `kill -9` on `npm run …` (or on a program that started this one) ends that
 * process only: this one is re-parented and would go on for hours. Its work
 * is synchronous, so it cannot wait for an event saying so; instead the
 * progress display asks {@link parentHasEnded} at every step
 * (cli/progress-bar.ts) and the command stops with advice on how to go on.
 *
 * Two starters are watched:
 * - under `npm run`, the chain of processes between npm and this one (npm's
 *   shell, tsx), read from /proc once at start ({@link watchParents});
 * - the process named by `ROBUSTNORM_PARENT_PID`, for a program that starts
 *   the command itself: when this process's parent is no longer that one,
 *   it has ended.
 */
import { readFileSync } from 'node:fs';

/** A process that launched this one, with its start time (/proc/<pid>/stat's field 22). */
interface Launcher {
  pid: number;
  start: string;
}

/** The process named by ROBUSTNORM_PARENT_PID (null when none was named). */
let namedParent: number | null = null;

/** `npm run`'s chain of processes above this one (npm, its shell, tsx). */
let launchers: Launcher[] = [];

/** When the launchers were last looked at (they are read from /proc at most once a second). */
let launchersCheckedAt = 0;

/** /proc/<pid>/stat's parent id (field 4) and start time (field 22), or undefined. */
function statOf(pid: number): { parent: number; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { parent: Number(fields[1]), start: fields[19] as string };
  } catch {
    return undefined;
  }
}

/**
 * The processes between this one and the `npm` that ran it (Linux; empty
 * when npm did not start it): each ancestor whose environment holds
 * npm_lifecycle_event (set by npm for its script), and npm itself above them.
 */
export function npmLaunchers(env: NodeJS.ProcessEnv = process.env): Launcher[] {
  if (process.platform !== 'linux' || env.npm_lifecycle_event === undefined) return [];
  const chain: Launcher[] = [];
  let pid = process.ppid;
  while (pid > 1 && chain.length < 16) {
    const stat = statOf(pid);
    if (stat === undefined) break;
    chain.push({ pid, start: stat.start });
    let environment = '';
    try {
      environment = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      break;
    }
    if (!environment.split('\0').some((entry) => entry.startsWith('npm_lifecycle_event='))) break; // npm itself
    pid = stat.parent;
  }
  return chain;
}

/** Whether a process of {@link npmLaunchers} has ended (its pid is gone or now another process's). */
export function launcherHasEnded(chain: readonly Launcher[] = launchers): boolean {
  return chain.some((launcher) => statOf(launcher.pid)?.start !== launcher.start);
}

/**
 * Records what to watch: the parent named by ROBUSTNORM_PARENT_PID (taken out
 * of the environment, as a program this one starts has another parent) and
 * npm's chain of launchers.
 */
export function watchParents(env: NodeJS.ProcessEnv = process.env): void {
  const pid = Number(env.ROBUSTNORM_PARENT_PID);
  delete env.ROBUSTNORM_PARENT_PID;
  namedParent = Number.isInteger(pid) && pid > 0 ? pid : null;
  launchers = npmLaunchers(env);
}

/**
 * Whether the process that started this one has ended: the named parent is
 * no longer this one's parent (a killed parent's children are re-parented),
 * or, under `npm run`, npm or a process between it and this one has ended.
 */
export function parentHasEnded(named: number | null = namedParent, parent: number = process.ppid): boolean {
  if (named !== null && parent !== named) return true;
  if (launchers.length === 0 || Date.now() - launchersCheckedAt < 1000) return false;
  launchersCheckedAt = Date.now();
  return launcherHasEnded();
}
