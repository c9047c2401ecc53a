// conductor clean: remove the worktrees and task branches of finished tasks
// (done or skipped). Anything not merged into the integration branch is saved
// under refs/conductor/salvage/ first; unfinished tasks are left alone.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConductorError } from '../../errors.js';
import { validateBacklogFile } from '../../backlog/validate-backlog.js';
import { TASK_ID_PATTERN } from '../../backlog/types.js';
import { WorktreeManager } from '../../git/worktrees.js';
import { git } from '../../git/git.js';
import { legacyWorktreesDir } from '../../git/worktree-location.js';
import { acquireRunLock } from '../../state/run-lock.js';
import type { CommandContext } from '../context.js';
import { backlogPathOf, configOf, repoRootOf } from './shared.js';

export async function run(ctx: CommandContext): Promise<number> {
  const repoRoot = repoRootOf(ctx);
  const { path, display } = backlogPathOf(ctx, repoRoot);
  const report = await validateBacklogFile(path, display);
  if (!report.backlog) throw new ConductorError('BACKLOG_INVALID', `${display} is not valid`, { problems: report.problems, hint: 'clean reads task states from it; fix it first' });
  const lock = await acquireRunLock(join(repoRoot, '.conductor'), 'conductor clean');
  try {
    const integration = `conductor/${report.backlog.feature}`;
    const hasIntegration = (await git(repoRoot).raw(['branch', '--list', integration])).trim() !== '';
    const mergedInto = hasIntegration ? integration : 'HEAD';
    const finished = new Set(report.backlog.tasks.filter((t) => t.status === 'done' || t.status === 'skipped').map((t) => t.id));
    const manager = new WorktreeManager(repoRoot, undefined, (await configOf(ctx, repoRoot)).config.worktreeDir);
    // Worktrees in the legacy place (<repo>/worktrees/, runs before #16) are finished tasks' too.
    const listed = await Promise.all([manager.worktreesDir, legacyWorktreesDir(repoRoot)].map(async (dir) => (existsSync(dir) ? readdir(dir) : [])));
    const present = [...new Set(listed.flat())].filter((name) => TASK_ID_PATTERN.test(name));
    const branches = (await git(repoRoot).raw(['branch', '--list', 'task/*', '--format=%(refname:short)'])).split('\n').map((b) => b.trim().replace(/^task\//, '')).filter(Boolean);
    const candidates = [...new Set([...present, ...branches])].filter((id) => finished.has(id)).sort();
    for (const id of candidates) {
      const place = manager.placeOf(id);
      const salvaged = await manager.removeTask(id, mergedInto);
      ctx.stdout.write(`removed the worktree ${place} and task/${id}${salvaged ? ` (unmerged work saved to ${salvaged})` : ''}\n`);
    }
    const kept = [...new Set([...present, ...branches])].filter((id) => !finished.has(id)).sort();
    ctx.stdout.write(`${candidates.length} finished task${candidates.length === 1 ? '' : 's'} cleaned${kept.length ? `; kept ${kept.join(', ')} (not finished)` : ''}\n`);
    return 0;
  } finally {
    await lock.release();
  }
}
