// Merging approved work into the integration worktree: one merge at a time,
// always --no-ff; a conflict is aborted cleanly and its files named; a merge
// left half-done by a crash is aborted before the next one; merging a branch
// that is already in is a no-op, so a repeated resume never merges twice.
// With a check (gates after merge), a merge that fails it is undone before
// the next merge starts: the integration branch only ever holds merges that
// passed.
// A stale index.lock a killed git left in the integration worktree is cleared.
import { existsSync } from 'node:fs';
import { git, isContainedIn } from './git.js';
import { clearStaleIndexLock } from './index-lock.js';
import { messageOf } from '../errors.js';

export type MergeOutcome =
  | { ok: true; commit: string; alreadyMerged: boolean }
  | { ok: false; kind: 'conflict'; conflicts: string[]; detail: string }
  | { ok: false; kind: 'check'; conflicts: []; detail: string; evidence: string[] };

/** Run on the merged tree; returns the failure's lines, or undefined when it passed. */
export type MergeCheck = () => Promise<{ detail: string; evidence: string[] } | undefined>;

export class MergeQueue {
  private queue: Promise<unknown> = Promise.resolve();
  private mergeHeadPath: string | undefined;

  constructor(readonly integrationPath: string) {}

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
    // Where git keeps MERGE_HEAD for this worktree does not change: ask once.
    this.mergeHeadPath ??= (await git(this.integrationPath).raw(['rev-parse', '--path-format=absolute', '--git-path', 'MERGE_HEAD'])).trim();
    return existsSync(this.mergeHeadPath);
  }

  private async mergeNow(branch: string, message: string, check?: MergeCheck): Promise<MergeOutcome> {
    const g = git(this.integrationPath);
    await clearStaleIndexLock(this.integrationPath);
    await this.abortHalfDoneMerge();
    const before = (await g.raw(['rev-parse', 'HEAD'])).trim();
    const detail = await g.raw(['merge', '--no-ff', '--no-edit', '-m', message, branch]).catch((error: unknown) => messageOf(error));
    // git reports conflicts on stdout with exit code 1 and nothing on stderr, which git() does not raise: look at the state.
    const after = (await g.raw(['rev-parse', 'HEAD'])).trim();
    const inProgress = await this.mergeInProgress();
    if (!inProgress && after !== before) {
      const failed = check ? await check() : undefined;
      if (!failed) return { ok: true, commit: after, alreadyMerged: false };
      // Only conductor moves the integration branch, and the task branch still holds the work.
      await g.raw(['reset', '--hard', before]);
      return { ok: false, kind: 'check', conflicts: [], ...failed };
    }
    // Nothing happened: either the branch was already in ("Already up to date") or git refused to start.
    if (!inProgress && (await isContainedIn(this.integrationPath, branch, 'HEAD'))) return { ok: true, commit: before, alreadyMerged: true };
    const conflicts = (await g.raw(['diff', '--name-only', '--diff-filter=U']).catch(() => '')).split('\n').filter(Boolean);
    await g.raw(['merge', '--abort']).catch(() => undefined);
    const line = detail.split('\n').find((l) => /conflict|fail|error|fatal/i.test(l)) ?? 'merge failed';
    return { ok: false, kind: 'conflict', conflicts, detail: line.trim() };
  }
}
