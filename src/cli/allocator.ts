/**
 * Runs a command line program once more, in a child process, with glibc's
 * malloc told to keep the memory it frees.
 *
 * Why: when it was written (2026-11), a `small-cnn` training step allocated
 * about 100 MB of typed arrays: op outputs, gradients, the norm layers' x̂,
 * padded kernel inputs. glibc serves blocks that big with `mmap` and returns
 * them to the operating system when V8 frees them, so the next step's arrays
 * landed on fresh pages: one page fault and one zeroed page per 4 KiB written.
 * With `MALLOC_MMAP_THRESHOLD_` and `MALLOC_TRIM_THRESHOLD_` raised, freed
 * blocks stay in malloc's heap and are handed out again. Since then the
 * training step and attack iterations reuse their buffers (buffer-pool.ts):
 * a step allocates about 1.3 MB of new arrays (bench/allocation.ts), so the
 * relaunch may no longer pay. It has not been re-measured since; compare
 * `npm run bench` with and without `ROBUSTNORM_ALLOCATOR=default` before
 * keeping or removing it (docs/performance.md).
 *
 * glibc reads these settings only when a process starts, so the program
 * cannot set them for itself: it starts itself again with them set, passes
 * on its arguments, signals and exit status, and does nothing else.
 *
 * Only on Linux with glibc (macOS and musl have other allocators), and not
 * when the variables are already set. `ROBUSTNORM_ALLOCATOR=default` turns
 * it off.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';

/** glibc's largest dynamic mmap threshold on 64-bit, 32 MiB: blocks below it come from the heap. */
const MMAP_THRESHOLD = String(32 * 1024 * 1024);
/** Give memory back only when more than 1 GiB sits free at the top of the heap. */
const TRIM_THRESHOLD = String(1024 * 1024 * 1024);

function usesGlibc(): boolean {
  if (process.platform !== 'linux') return false;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return typeof header?.glibcVersionRuntime === 'string';
}

/** Whether this process should start itself again with the allocator settings. */
export function wantsAllocatorRelaunch(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.ROBUSTNORM_ALLOCATOR !== undefined) return false; // 'default' (off), or already the child
  if (env.MALLOC_MMAP_THRESHOLD_ !== undefined || env.MALLOC_TRIM_THRESHOLD_ !== undefined) return false;
  return usesGlibc();
}

/**
 * Whether a command line only prints help or the version (no arguments,
 * `help`, `--help`/`-h`, `--version`/`-V`), so starting a second process
 * (about 1 s) would buy nothing.
 */
export function isQuickInvocation(args: readonly string[]): boolean {
  if (args.length === 0 || args[0] === 'help') return true;
  return args.some((arg) => arg === '--help' || arg === '-h' || arg === '--version' || arg === '-V');
}

/**
 * If {@link wantsAllocatorRelaunch}, runs this same program (same Node flags,
 * script and arguments) as a child with the settings, waits for it and exits
 * with its status; otherwise (or if the child cannot be started) returns and
 * the caller goes on in this process.
 */
export async function relaunchWithAllocatorSettings(): Promise<void> {
  if (!wantsAllocatorRelaunch()) return;
  const env = { ...process.env, ROBUSTNORM_ALLOCATOR: 'tuned', MALLOC_MMAP_THRESHOLD_: MMAP_THRESHOLD, MALLOC_TRIM_THRESHOLD_: TRIM_THRESHOLD, ROBUSTNORM_PARENT_PID: String(process.pid) };
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { env, stdio: 'inherit' });
  // Ctrl-C reaches both processes (one process group); this one waits for the child's exit.
  const forward = (signal: NodeJS.Signals) => () => void child.kill(signal);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, forward(signal));
  const status = await new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(null)); // could not start it: run here, untuned
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === null ? 0 : constants.signals[signal])));
  });
  if (status !== null) process.exit(status);
}

/** The id of the process that started this one by a relaunch (null when not a relaunched child). */
let startedBy: number | null = null;

/** A process that launched this one, with its start time (/proc/<pid>/stat's field 22). */
interface Launcher {
  pid: number;
  start: string;
}

/** `npm run`'s chain of processes above this one (npm, its shell, tsx, the relaunching parent). */
let launchers: Launcher[] = [];

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
 * `kill -9` on npm ends none of them, so a process below watches them all.
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

/** When the launchers were last looked at (they are read from /proc at most once a second). */
let launchersCheckedAt = 0;

/** Whether a process of {@link npmLaunchers} has ended (its pid is gone or now another process's). */
export function launcherHasEnded(chain: readonly Launcher[] = launchers): boolean {
  return chain.some((launcher) => statOf(launcher.pid)?.start !== launcher.start);
}

/**
 * In a relaunched child: remembers which process started it, and takes the
 * variable that says so out of the environment (a program this one starts
 * has another parent).
 */
export function rememberParent(env: NodeJS.ProcessEnv = process.env): void {
  const pid = Number(env.ROBUSTNORM_PARENT_PID);
  delete env.ROBUSTNORM_PARENT_PID;
  if (Number.isInteger(pid) && pid > 0) startedBy = pid;
  launchers = npmLaunchers(env);
}

/**
 * Whether the process that started this one has ended (killed with
 * `kill -9`, which it cannot forward), or, under `npm run`, npm or a process
 * between it and this one has (npm's `kill -9` reaches none of them). A child is then re-parented, so its
 * parent id changes. Its work is synchronous, so it cannot wait for an
 * event saying so: the progress display asks this at every step
 * (cli/progress-bar.ts), and the child stops instead of training on as an orphan.
 */
export function parentHasEnded(started: number | null = startedBy, parent: number = process.ppid): boolean {
  if (started !== null && parent !== started) return true;
  if (launchers.length === 0 || Date.now() - launchersCheckedAt < 1000) return false;
  launchersCheckedAt = Date.now();
  return launcherHasEnded();
}
