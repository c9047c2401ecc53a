// Where conductor keeps its worktrees for a repository: one place to change,
// so the location can move without every caller knowing it.
import { join } from 'node:path';

/** The directory holding the task worktrees and the integration worktree of the repository at `repoRoot`. */
export function worktreesDir(repoRoot: string): string {
  return join(repoRoot, 'worktrees');
}

/** The worktree of task `id` (or of `_integration`). */
export function worktreePath(repoRoot: string, id: string): string {
  return join(worktreesDir(repoRoot), id);
}
