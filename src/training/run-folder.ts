/**
 * Guarding a training run's output folder: one run at a time (a lock file),
 * no run silently replacing another, and a resumed run continuing only with
 * the settings its checkpoint was trained with.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isRunning } from '../checkpoint/atomic-write.js';

/**
 * The lock file's name in a run's folder; it holds the owning process's id
 * and, on Linux, its start time ("<pid> <start>", field 22 of /proc/<pid>/stat).
 */
export const LOCK_FILE = '.lock';

/** A process's start time (clock ticks after boot, /proc/<pid>/stat's field 22), or undefined where /proc cannot tell. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // field 2, the command name, is in parentheses and may hold spaces: count from after it
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19]; // field 22 is the 20th after the name
  } catch {
    return undefined;
  }
}

/** When the process started, in ms since 1970 (Linux, assuming 100 clock ticks a second), or undefined. */
function processStartMs(pid: number): number | undefined {
  const ticks = Number(processStartTime(pid));
  let boot: number;
  try {
    boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
  return Number.isFinite(ticks) && Number.isFinite(boot) ? boot * 1000 + ticks * 10 : undefined;
}

/** What a lock file says: its owner's id and start time (absent in a lock written without one). */
function readLock(lock: string): { pid: number; start?: string } {
  const [pid, start] = readFileSync(lock, 'utf8').trim().split(/\s+/);
  return { pid: Number(pid), ...(start !== undefined ? { start } : {}) };
}

/**
 * Whether the lock `lock` is held by a running process: its pid runs, and it is
 * the same process (the start time recorded with the pid matches; a lock with
 * no start time is older than a process that started after it was written).
 */
function heldByRunningProcess(lock: string): { held: boolean; pid: number } {
  const owner = readLock(lock);
  if (!Number.isInteger(owner.pid) || owner.pid <= 0 || owner.pid === process.pid || !isRunning(owner.pid)) return { held: false, pid: owner.pid };
  if (owner.start !== undefined) {
    const now = processStartTime(owner.pid);
    return { held: now === undefined || now === owner.start, pid: owner.pid };
  }
  const started = processStartMs(owner.pid);
  const written = statSync(lock).mtimeMs;
  // a process that started well after the lock was written cannot have written it: the pid was reused
  return { held: started === undefined || started <= written + 2000, pid: owner.pid };
}

/** The error for a folder that cannot be created or written, saying why in words. */
function folderError(folder: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    EACCES: 'permission denied', EPERM: 'permission denied', EROFS: 'the file system is read-only', ENOTDIR: 'a part of the path is a file, not a folder',
    ENOSPC: 'no space left on the device', EEXIST: 'a file of that name is in the way', ENOENT: 'a part of the path does not exist',
  };
  return new Error(`cannot use the output folder ${folder}: ${why[code ?? ''] ?? (error as Error).message}${code ? ` (${code})` : ''}; choose another --out`);
}

/**
 * Takes the folder's lock (the file `.lock` in it), or throws if a running
 * process holds it. A lock left by a process that ended (killed), or whose
 * pid now belongs to another process, is taken over. Returns the function
 * that releases it.
 */
export function lockFolder(folder: string): () => void {
  if (folder.trim() === '') throw new Error('the output folder is an empty name (--out \'\'); give a folder, e.g. --out runs/mine');
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    throw folderError(folder, error);
  }
  const lock = join(folder, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const descriptor = openSync(lock, 'wx');
      const start = processStartTime(process.pid);
      writeSync(descriptor, start !== undefined ? `${process.pid} ${start}` : String(process.pid));
      closeSync(descriptor);
      return () => {
        try {
          unlinkSync(lock);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw folderError(folder, error);
      const owner = heldByRunningProcess(lock);
      if (owner.held) {
        throw new Error(`${folder} is in use by another run (process ${owner.pid}); its lock file ${lock} says so. Wait for it to finish, or use another --out; if no run uses the folder, delete ${lock}`);
      }
      unlinkSync(lock); // left by a process that ended, or by one whose pid was reused: take it over
    }
  }
  throw new Error(`${folder}: could not take the lock file ${lock}`);
}

/** Throws unless `folder` holds no earlier run, or the caller resumes it or forces a fresh start. */
export function checkFreshFolder(folder: string, options: { resume: boolean; force?: boolean }): void {
  if (options.resume || options.force === true) return;
  // an empty metrics.jsonl (a run that failed in its first epoch) holds nothing to lose
  const earlier = ['checkpoint.safetensors', 'metrics.jsonl'].filter((file) => existsSync(join(folder, file)) && statSync(join(folder, file)).size > 0);
  if (earlier.length > 0) {
    throw new Error(`${folder} already holds a training run (${earlier.join(', ')}); pass --resume to continue it, or --force to start over and replace it`);
  }
}

/** The settings a resumed run must share with its checkpoint (epochs may grow). */
const RESUMED_SETTINGS = ['dataset', 'dataDir', 'model', 'norm', 'power', 'batchSize', 'lr', 'momentum', 'weightDecay', 'nesterov', 'milestones', 'gamma', 'seed', 'limit', 'testLimit', 'flip', 'perturbation'] as const;

/**
 * The settings in which `requested` differs from what the checkpoint was
 * trained with, as "lr 0.05 (the checkpoint: 0.1)". A setting the
 * checkpoint does not record was unset.
 */
export function settingMismatches(saved: Record<string, unknown>, requested: Record<string, unknown>): string[] {
  const show = (value: unknown) => (value === undefined ? 'unset' : JSON.stringify(value));
  return RESUMED_SETTINGS.filter((key) => JSON.stringify(saved[key]) !== JSON.stringify(requested[key]))
    .map((key) => `${key} ${show(requested[key])} (the checkpoint: ${show(saved[key])})`);
}
