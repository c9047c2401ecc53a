// Committing what a worker left in its worktree. Workers never commit:
// conductor stages everything except its own context copy and commits it with
// its fixed identity and no hooks. An empty change is reported, not committed.
// A stale index.lock a killed git left behind is cleared first (index-lock.ts).
import { git, GitCommandError, headCommit } from './git.js';
import { repoState } from './repo-state.js';
import { clearStaleIndexLock, type IndexLockOptions } from './index-lock.js';

/** The name of the worker's context copy in its worktree; never committed. */
export const CONTEXT_COPY = '.conductor-task.md';

export interface CommittedWork {
  /** The files the commit changed (none: nothing was committed). */
  files: string[];
  /** HEAD before conductor's commit: past the attempt's base when the worker committed on its own. */
  parent: string;
}

export async function commitWork(worktree: string, message: string, lock: IndexLockOptions = {}): Promise<CommittedWork> {
  const g = git(worktree);
  // One git call says both where the worktree's index lock would be and which commit it is on.
  const state = await repoState(worktree);
  await clearStaleIndexLock(worktree, { ...lock, gitDir: state.gitDir });
  const before = state.head || (await headCommit(worktree)); // no commit: headCommit says so, exit 2
  await g.raw(['add', '-A', '--', '.', `:(exclude)${CONTEXT_COPY}`]);
  // The staged files, against the commit before, and the commit itself, at the same time: committing leaves the
  // index as it is, so the list is the same whichever runs first. With nothing staged, git commits nothing.
  const [staged, committed] = await Promise.all([g.raw(['diff', '--cached', '--name-only', '-z', before]), g.run(['commit', '-q', '--no-verify', '-m', message])]);
  const files = staged.split('\0').filter(Boolean);
  // git commit exits 1 when there is nothing to commit: only a failure with something staged is one.
  if (files.length > 0 && committed.exitCode !== 0) {
    const said = committed.stderr.trim() || committed.stdout.trim() || 'no message';
    throw new GitCommandError(`git commit failed (exit ${committed.exitCode}): ${said}`, committed.exitCode, committed.stdout, committed.stderr, 'git commit');
  }
  return { files, parent: before };
}
