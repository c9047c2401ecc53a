// Where conductor keeps its worktrees for a repository: one place to change,
// so the location can move without every caller knowing it.
//
// The default is a sibling of the checkout, `<parent>/<name>.worktrees/`, not a
// directory inside it: whatever lies under the checkout is seen by the user's
// own tools run at its root while a task keeps its worktree. Measured (#16):
// `node --test` (Node 20) walks every directory but node_modules, dot
// directories and `.git/` included; vitest skips `.git/` but not `.conductor/`;
// `eslint .` skips `.git/` only; tsc skips dot directories; pytest skips
// `.*`. Only a directory outside the checkout hides a worktree from all of them,
// and Node's module resolution from the worktree then never climbs into the
// user's node_modules either. `worktreeDir` in conductor.config.yaml moves it.
import { basename, dirname, join, resolve } from 'node:path';

/** Where runs before #16 kept worktrees: still found, moved on reuse, and cleaned. */
export const LEGACY_WORKTREES = 'worktrees';

/**
 * The directory holding the task worktrees and the integration worktree of the repository at `repoRoot`:
 * `configured` (conductor.config.yaml `worktreeDir`, relative to the repository) when given.
 */
export function worktreesDir(repoRoot: string, configured?: string): string {
  const root = resolve(repoRoot);
  if (configured) return resolve(root, configured);
  return join(dirname(root), `${basename(root)}.worktrees`);
}

/** The worktree of task `id` (or of `_integration`). */
export function worktreePath(repoRoot: string, id: string, configured?: string): string {
  return join(worktreesDir(repoRoot, configured), id);
}

/** The directory earlier runs kept worktrees in, inside the checkout. */
export function legacyWorktreesDir(repoRoot: string): string {
  return join(resolve(repoRoot), LEGACY_WORKTREES);
}
