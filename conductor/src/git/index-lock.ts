// A stale `index.lock` in a worktree conductor owns (left by a git process
// that was killed) blocks every commit and merge there. It is removed only
// when no git process is working in that worktree; while one is, conductor
// waits for it, then fails with a clear error naming it. The user's own
// checkout is never touched: its lock is not ours to remove.
import { existsSync } from 'node:fs';
import { readdir, readFile, readlink, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConductorError } from '../errors.js';
import { gitDirs } from './repo-state.js';

export interface IndexLockOptions {
  /** How long to wait for a live git process to finish (default 10 s). */
  waitMs?: number;
  pollMs?: number;
  /** The worktree's git directory, when the caller has just asked git for it. */
  gitDir?: string;
}

/** Make sure the worktree at `worktree` has no stale index.lock; returns the lock removed, if any. */
export async function clearStaleIndexLock(worktree: string, options: IndexLockOptions = {}): Promise<string | undefined> {
  const gitDir = options.gitDir ?? (await gitDirs(worktree)).gitDir; // git says where: the worktree's `.git` is a file pointing elsewhere
  const lock = join(gitDir, 'index.lock');
  const deadline = Date.now() + (options.waitMs ?? 10_000);
  for (;;) {
    if (!existsSync(lock)) return undefined;
    const holders = await gitProcessesIn([worktree, gitDir]);
    if (holders.length === 0) {
      await rm(lock, { force: true });
      return lock;
    }
    if (Date.now() >= deadline) {
      throw new ConductorError('IO', `${lock} is held by a running git process (pid ${holders.join(', ')}) working in ${worktree}`, {
        hint: 'wait for that git command to finish (or stop it), then run conductor resume',
      });
    }
    await sleep(options.pollMs ?? 200);
  }
}

/** Pids of `git` processes whose working directory, or an open file, is inside one of `dirs` (Linux /proc). */
async function gitProcessesIn(dirs: readonly string[]): Promise<number[]> {
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  } catch {
    return []; // no /proc: nothing to ask, the lock is treated as stale
  }
  const inside = (path: string) => dirs.some((dir) => path === dir || (!relative(dir, path).startsWith('..') && path.startsWith(`${dir}${sep}`)));
  const found: number[] = [];
  for (const pid of pids) {
    const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
    if (comm !== 'git' && !comm.startsWith('git-')) continue;
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
    let open = inside(cwd);
    if (!open) {
      const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
      for (const fd of fds) if (inside(await readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''))) open = true;
    }
    if (open) found.push(Number(pid));
  }
  return found;
}
