// One conductor per repository. The lock file is created exclusively with its
// whole content (link of a finished temp file), names its holder, and is taken
// over only when that holder is really gone — dead, or its pid reused by
// another process (detected by the process start time).
import { hostname } from 'node:os';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConductorError } from '../errors.js';
import { ioFailure } from '../io-failure.js';
import { ensureOwnedDir } from './owned-dir.js';
import { isProcessAlive, procStat } from '../process/proc-stat.js';

export interface LockHolder {
  pid: number;
  hostname: string;
  /** Kernel start time of the holder process (Linux), to tell a reused pid apart. */
  processStart?: string;
  startedAt: string;
  command: string;
}

export interface RunLock {
  path: string;
  holder: LockHolder;
  /** Remove the lock if it is still ours. */
  release(): Promise<void>;
  /** Synchronous release for `process.on('exit')`. */
  releaseSync(): void;
}

const TAKEOVER_STALE_MS = 30_000;

export async function acquireRunLock(conductorDir: string, command: string): Promise<RunLock> {
  await ensureOwnedDir(conductorDir);
  const path = join(conductorDir, 'lock');
  const me: LockHolder = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), command };
  const start = processStartTime(process.pid);
  if (start !== undefined) me.processStart = start;

  for (let tries = 0; tries < 5; tries++) {
    if (await createExclusive(path, me)) return makeLock(path, me);
    const current = await readHolder(path);
    if (current === 'missing') continue;
    if (current !== 'unreadable' && isAlive(current)) throw lockedError(path, current);
    if (current === 'unreadable' && (await ageMs(path)) < TAKEOVER_STALE_MS) {
      throw new ConductorError('LOCKED', `${path} exists but cannot be read`, { hint: `if no conductor is running here, delete ${path}` });
    }
    await takeOver(path, current, me);
  }
  throw new ConductorError('LOCKED', `could not take the lock ${path}: it keeps changing hands`, { hint: 'another conductor is starting here; try again' });
}

function lockedError(path: string, holder: LockHolder): ConductorError {
  const where = holder.hostname === hostname() ? `pid ${holder.pid}` : `pid ${holder.pid} on ${holder.hostname}`;
  return new ConductorError('LOCKED', `another conductor (${where}, "${holder.command}", since ${holder.startedAt}) holds this repository's lock`, {
    hint: `wait for it to finish, or stop it; the lock is ${path}`,
  });
}

async function createExclusive(path: string, holder: LockHolder): Promise<boolean> {
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, `${JSON.stringify(holder)}\n`, { flush: true });
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EEXIST') return false;
    throw ioFailure('create', path, error);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function readHolder(path: string): Promise<LockHolder | 'missing' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return (error as { code?: unknown }).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (typeof value.pid !== 'number' || typeof value.hostname !== 'string') return 'unreadable';
    return { pid: value.pid, hostname: value.hostname, processStart: value.processStart, startedAt: String(value.startedAt ?? '?'), command: String(value.command ?? '?') };
  } catch {
    return 'unreadable';
  }
}

/** The live conductor holding the repository's lock now, if any (undefined also when the lock cannot be read). */
export async function liveHolder(conductorDir: string): Promise<LockHolder | undefined> {
  const holder = await readHolder(join(conductorDir, 'lock'));
  return holder !== 'missing' && holder !== 'unreadable' && isAlive(holder) ? holder : undefined;
}

/** Whether a live conductor holds the repository's lock now: for onlookers such as `conductor status`. */
export async function lockHeld(conductorDir: string): Promise<boolean> {
  const holder = await readHolder(join(conductorDir, 'lock'));
  return holder === 'unreadable' || (holder !== 'missing' && isAlive(holder));
}

/** Is the recorded holder still running? Another host's holder is assumed alive. */
export function isAlive(holder: LockHolder): boolean {
  if (holder.hostname !== hostname()) return true;
  // A zombie holder (killed, not yet reaped by its parent) is dead: its lock is free.
  if (!isProcessAlive(holder.pid)) return false;
  if (holder.processStart === undefined) return true;
  const now = processStartTime(holder.pid);
  return now === undefined || now === holder.processStart;
}

/** Field 22 of /proc/<pid>/stat; undefined where /proc is not available. */
export function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.startTime;
}

async function ageMs(path: string): Promise<number> {
  try {
    return Date.now() - (await stat(path)).mtimeMs;
  } catch {
    return Infinity;
  }
}

/**
 * Remove a dead holder's lock, under a short-lived mutex so two takers cannot both win. The mutex is a holder
 * file like the lock itself, so one left by a taker killed mid-takeover is seen as dead and cleared at once.
 */
async function takeOver(path: string, dead: LockHolder | 'unreadable', me: LockHolder): Promise<void> {
  const mutex = `${path}.takeover`;
  if (!(await createExclusive(mutex, me))) {
    const taker = await readHolder(mutex);
    // 'unreadable' also covers an older conductor's mutex, a directory.
    const gone = taker === 'unreadable' ? (await ageMs(mutex)) > TAKEOVER_STALE_MS : taker !== 'missing' && !isAlive(taker);
    if (gone) await rm(mutex, { recursive: true, force: true });
    return; // someone else is taking over, or was and died; the caller retries
  }
  try {
    const again = await readHolder(path);
    const same = again === 'unreadable' ? dead === 'unreadable' : again !== 'missing' && dead !== 'unreadable' && again.pid === dead.pid && again.startedAt === dead.startedAt;
    if (same) await unlink(path).catch(() => undefined);
  } finally {
    await unlink(mutex).catch(() => undefined);
  }
}

function makeLock(path: string, holder: LockHolder): RunLock {
  const ours = (text: string) => {
    try {
      const value = JSON.parse(text) as LockHolder;
      return value.pid === holder.pid && value.startedAt === holder.startedAt;
    } catch {
      return false;
    }
  };
  let released = false;
  return {
    path,
    holder,
    async release() {
      if (released) return;
      released = true;
      const text = await readFile(path, 'utf8').catch(() => '');
      if (ours(text)) await unlink(path).catch(() => undefined);
    },
    releaseSync() {
      if (released) return;
      released = true;
      try {
        if (ours(readFileSync(path, 'utf8'))) unlinkSync(path);
      } catch {
        // already gone
      }
    },
  };
}
