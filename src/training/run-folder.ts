/**
 * Guarding a training run's output folder: one run at a time (a lock file),
 * no run silently replacing another, and a resumed run continuing only with
 * the settings its checkpoint was trained with.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isRunning } from '../checkpoint/atomic-write.js';

/** The lock file's name in a run's folder; it holds the owning process's id. */
export const LOCK_FILE = '.lock';

/**
 * Takes the folder's lock, or throws if a running process holds it. A lock
 * left by a process that ended (killed) is taken over. Returns the function
 * that releases it.
 */
export function lockFolder(folder: string): () => void {
  mkdirSync(folder, { recursive: true });
  const lock = join(folder, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const descriptor = openSync(lock, 'wx');
      writeSync(descriptor, String(process.pid));
      closeSync(descriptor);
      return () => {
        try {
          unlinkSync(lock);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(lock, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isRunning(owner)) {
        throw new Error(`${folder} is in use by another run (process ${owner}); wait for it to finish, or use another --out`);
      }
      unlinkSync(lock); // left by a process that ended: take it over
    }
  }
  throw new Error(`${folder}: could not take the lock ${lock}`);
}

/** Throws unless `folder` holds no earlier run, or the caller resumes it or forces a fresh start. */
export function checkFreshFolder(folder: string, options: { resume: boolean; force?: boolean }): void {
  if (options.resume || options.force === true) return;
  const earlier = ['checkpoint.safetensors', 'metrics.jsonl'].filter((file) => existsSync(join(folder, file)));
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
