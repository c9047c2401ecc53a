// Merging approved work into the integration worktree: one merge at a time,
// always --no-ff; a conflict is aborted cleanly and its files named; a merge
// left half-done by a crash is aborted before the next one; merging a branch
// that is already in is a no-op, so a repeated resume never merges twice.
// With a check (gates after merge), a merge that fails it is undone before
// the next merge starts: the integration branch only ever holds merges that
// passed.
// A stale index.lock a killed git left in the integration worktree is cleared.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { git, headCommit, isContainedIn } from './git.js';
import { gitDirs } from './repo-state.js';
import { clearStaleIndexLock } from './index-lock.js';

export type MergeOutcome =
  | { ok: true; commit: string; alreadyMerged: boolean }
  | { ok: false; kind: 'conflict'; conflicts: string[]; detail: string }
  | { ok: false; kind: 'check'; conflicts: []; detail: string; evidence: string[] };

/** Run on the merged tree; returns the failure's lines, or undefined when it passed. */
export type MergeCheck = () => Promise<{ detail: string; evidence: string[] } | undefined>;

export class MergeQueue {
  private queue: Promise<unknown> = Promise.resolve();
  /** The integration worktree's git directory: conductor made it and it does not move during a run, so git is asked once. */
  private gitDir: string | undefined;

  /** `ready` runs before every merge: it puts the integration worktree back when something removed it mid-run (true then). */
  constructor(
    readonly integrationPath: string,
    private readonly ready: () => Promise<boolean> = async () => false,
  ) {}

  merge(branch: string, message: string, check?: MergeCheck): Promise<MergeOutcome> {
    const next = this.queue.then(() => this.mergeNow(branch, message, check));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Abort a merge a crash left in progress; true when there was one. */
  async abortHalfDoneMerge(): Promise<boolean> {
    if (!(await this.mergeInProgress())) return false;
    await git(this.integrationPath).raw(['merge', '--abort']);
    return true;
  }

  private async mergeInProgress(): Promise<boolean> {
    // Where git keeps MERGE_HEAD for this worktree does not change: find it once.
    return existsSync(join(await this.ownGitDir(), 'MERGE_HEAD')); // MERGE_HEAD is per worktree: in its own git directory
  }

  private async ownGitDir(): Promise<string> {
    this.gitDir ??= (await gitDirs(this.integrationPath)).gitDir;
    return this.gitDir;
  }

  private async mergeNow(branch: string, message: string, check?: MergeCheck): Promise<MergeOutcome> {
    // A worktree re-created by `ready` has a new git directory: ask git again.
    if (await this.ready()) this.gitDir = undefined;
    // git's messages are in English (LC_ALL=C, gitEnv): "Already up to date" and the conflict line are read below.
    const g = git(this.integrationPath);
    await clearStaleIndexLock(this.integrationPath, { gitDir: await this.ownGitDir() });
    await this.abortHalfDoneMerge();
    const merged = await g.run(['merge', '--no-ff', '--no-edit', '-m', message, branch]);
    // A conflict exits 1 and leaves MERGE_HEAD; git refusing to start (an untracked file in the way) exits non-zero without it.
    const inProgress = await this.mergeInProgress();
    const head = () => headCommit(this.integrationPath);
    if (!inProgress && merged.exitCode === 0) {
      const commit = await head();
      // --no-ff always makes a merge commit, unless the branch was in already: a repeated resume never merges twice.
      if (/^Already up.to.date/m.test(merged.stdout)) return { ok: true, commit, alreadyMerged: true };
      const failed = check ? await check() : undefined;
      if (!failed) return { ok: true, commit, alreadyMerged: false };
      // Only conductor moves the integration branch, and the task branch still holds the work: back to the merge's first parent.
      await g.raw(['reset', '--hard', `${commit}^1`]);
      return { ok: false, kind: 'check', conflicts: [], ...failed };
    }
    if (!inProgress && (await isContainedIn(this.integrationPath, branch, 'HEAD'))) return { ok: true, commit: await head(), alreadyMerged: true };
    const conflicts = (await g.raw(['diff', '--name-only', '--diff-filter=U']).catch(() => '')).split('\n').filter(Boolean);
    if (inProgress) await g.raw(['merge', '--abort']);
    const detail = `${merged.stdout}${merged.stderr}`;
    const line = detail.split('\n').find((l) => /conflict|fail|error|fatal/i.test(l)) ?? 'merge failed';
    return { ok: false, kind: 'conflict', conflicts, detail: line.trim() };
  }
}
