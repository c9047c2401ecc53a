// What conductor itself last wrote, per file (and per ref the boundary put
// back): the boundary check compares a worker's session with a snapshot, and
// conductor keeps writing its records (statuses, notes, the backlog) while
// workers run, several at once. A file whose signature is the one conductor
// left is conductor's change, not a worker's. In memory only, for this process.
import { lstatSync } from 'node:fs';

/** The file is gone (conductor removed it). */
export const ABSENT = 'absent';

const last = new Map<string, string>();

/** A cheap identity of what is at `path` now: kind, mode, size, modification time (ns) and inode; ABSENT when nothing is. */
export function signatureOf(path: string): string {
  try {
    const s = lstatSync(path, { bigint: true });
    return `${s.mode}:${s.size}:${s.mtimeNs}:${s.ino}`;
  } catch {
    return ABSENT;
  }
}

/** Record that conductor just wrote (or removed) `path`. */
export function noteOwnWrite(path: string): void {
  last.set(path, signatureOf(path));
}

/** Record a value conductor itself gave a key that is not a file (a ref it put back). */
export function noteOwnValue(key: string, value: string): void {
  last.set(key, value);
}

/** Files conductor is writing right now: an asynchronous write lands on disk before its signature is noted. */
const pending = new Map<string, number>();

/**
 * Run conductor's own asynchronous write of `path`, noted as conductor's from before it starts until its
 * signature is recorded: a boundary check running meanwhile (another task's session ending) sees a file that
 * changed on disk and must not blame that task's worker for it.
 */
export async function ownWrite<T>(path: string, write: () => Promise<T>): Promise<T> {
  pending.set(path, (pending.get(path) ?? 0) + 1);
  try {
    return await write();
  } finally {
    noteOwnWrite(path);
    const left = (pending.get(path) ?? 1) - 1;
    if (left > 0) pending.set(path, left);
    else pending.delete(path);
  }
}

/** Is `current` exactly what conductor last left at `key`, or is conductor writing it right now? */
export function isOwnWrite(key: string, current: string): boolean {
  return pending.has(key) || last.get(key) === current;
}
