// Committing what a worker left in its worktree. Workers never commit:
// conductor stages everything except its own context copy and commits it with
// its fixed identity and no hooks. An empty change is reported, not committed.
// A stale index.lock a killed git left behind is cleared first (index-lock.ts).
import { git } from './git.js';
import { clearStaleIndexLock, type IndexLockOptions } from './index-lock.js';

/** The name of the worker's context copy in its worktree; never committed. */
export const CONTEXT_COPY = '.conductor-task.md';

export interface CommittedWork {
  /** The files the commit changed (none: nothing was committed). */
  files: string[];
}

export async function commitWork(worktree: string, message: string, lock: IndexLockOptions = {}): Promise<CommittedWork> {
  const g = git(worktree);
  await clearStaleIndexLock(worktree, lock);
  await g.raw(['add', '-A', '--', '.', `:(exclude)${CONTEXT_COPY}`]);
  const files = (await g.raw(['diff', '--cached', '--name-only', '-z'])).split('\0').filter(Boolean);
  if (files.length === 0) return { files };
  await g.raw(['commit', '-q', '--no-verify', '-m', message]);
  return { files };
}
