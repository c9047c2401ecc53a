// `--merge`: the one time conductor touches the user's own branch, on request,
// at the end of a run. Only a clean checkout on a branch is merged into; a
// merge that cannot complete is aborted, leaving the checkout as it was, and
// the user is told exactly what to type instead.
import { existsSync } from 'node:fs';
import { DEFAULT_DOCS_DIR } from '../config/docs-dir.js';
import { git } from './git.js';
import { gitPath as gitPathIn } from './repo-state.js';

export interface CheckoutMerge {
  merged: boolean;
  message: string;
}

/** conductor's own files in the checkout: its docs folder (conductor.config.yaml `docsDir`) among them. */
const ownPaths = (docsDir: string) => ['tasks', 'specs', docsDir, '.conductor'];

const BUSY = [
  ['MERGE_HEAD', 'merge'],
  ['rebase-merge', 'rebase'],
  ['rebase-apply', 'rebase'],
  ['CHERRY_PICK_HEAD', 'cherry-pick'],
  ['REVERT_HEAD', 'revert'],
] as const;

/**
 * Why `branch` could not be merged into the checkout now (detached HEAD, a
 * merge or rebase under way, uncommitted changes), or undefined when nothing
 * stands in the way. `--merge` asks this at the start of a run too, so a dirty
 * checkout is said before the work, not only after it.
 */
export async function checkoutBlocker(repoRoot: string, docsDir = DEFAULT_DOCS_DIR): Promise<string | undefined> {
  const g = git(repoRoot);
  const onBranch = await g.run(['symbolic-ref', '--short', '-q', 'HEAD']); // exit 1: detached
  const current = onBranch.exitCode === 0 ? onBranch.stdout.trim() : '';
  if (!current) return 'your checkout is on a detached HEAD; check out a branch';
  const gitPath = (name: string) => gitPathIn(repoRoot, name);
  for (const [marker, what] of BUSY) {
    if (existsSync(await gitPath(marker))) return `a ${what} is in progress in your checkout; finish it`;
  }
  // conductor's own files (status updates to a committed BACKLOG.yaml, say) do not count; git itself refuses a merge that would overwrite them.
  const dirty = (await g.raw(['status', '--porcelain', '--untracked-files=no', '--', '.', ...ownPaths(docsDir).map((p) => `:(exclude)${p}`)])).split('\n').filter(Boolean);
  if (dirty.length > 0) return `your checkout has uncommitted changes (${dirty.length} file${dirty.length === 1 ? '' : 's'}); commit or stash them`;
  return undefined;
}

export async function mergeIntoCheckout(repoRoot: string, branch: string, docsDir = DEFAULT_DOCS_DIR): Promise<CheckoutMerge> {
  const g = git(repoRoot);
  const yourself = `git merge --no-ff ${branch}`;
  const blocker = await checkoutBlocker(repoRoot, docsDir);
  if (blocker) return { merged: false, message: `not merged: ${blocker}, then run: ${yourself}` };
  const current = (await g.raw(['symbolic-ref', '--short', '-q', 'HEAD'])).trim();
  const gitPath = (name: string) => gitPathIn(repoRoot, name);
  const before = (await g.raw(['rev-parse', 'HEAD'])).trim();
  // A conflict exits 1 and says so on stdout: the outcome is read below, whatever the exit code.
  const merge = await g.run(['merge', '--no-ff', '--no-edit', '-m', `Merge ${branch} (conductor)`, branch]);
  const detail = `${merge.stdout}${merge.stderr}`;
  const after = (await g.raw(['rev-parse', 'HEAD'])).trim();
  const inProgress = existsSync(await gitPath('MERGE_HEAD'));
  if (!inProgress && after !== before) return { merged: true, message: `merged ${branch} into ${current} (${after.slice(0, 12)})` };
  if (!inProgress) {
    if (/up to date/i.test(detail)) return { merged: true, message: `${current} already contains ${branch}` };
    const line = detail.split('\n').find((l) => /error|fatal|overwritten|would be/i.test(l))?.trim() ?? 'git refused the merge';
    return { merged: false, message: `not merged into ${current}: ${line}; nothing was changed. Run: ${yourself}` };
  }
  const conflicts = (await g.raw(['diff', '--name-only', '--diff-filter=U']).catch(() => '')).split('\n').filter(Boolean);
  await g.raw(['merge', '--abort']);
  return { merged: false, message: `not merged: ${branch} conflicts with ${current} in ${conflicts.join(', ') || 'some files'}; the merge was aborted and nothing changed. Resolve it yourself: ${yourself}` };
}
