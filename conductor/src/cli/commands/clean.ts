// conductor clean: remove the worktrees and task branches of finished tasks
// (done or skipped), of the live run and of factory builds that ended.
// Anything not merged into the integration branch is saved under
// refs/conductor/salvage/ first; unfinished tasks are left alone.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConductorError } from '../../errors.js';
import { validateBacklogFile } from '../../backlog/validate-backlog.js';
import { TASK_ID_PATTERN } from '../../backlog/types.js';
import { factoryNaming, WorktreeManager } from '../../git/worktrees.js';
import type { Backlog } from '../../backlog/types.js';
import { readBuildRecords } from '../../phases/factory.js';
import { git } from '../../git/git.js';
import { legacyWorktreesDir } from '../../git/worktree-location.js';
import { removeSpares } from '../../prepare/spare-trees.js';
import { acquireRunLock } from '../../state/run-lock.js';
import type { CommandContext } from '../context.js';
import { backlogPathOf, configOf, repoRootOf } from './shared.js';

export async function run(ctx: CommandContext): Promise<number> {
  const repoRoot = repoRootOf(ctx);
  const { path, display } = backlogPathOf(ctx, repoRoot);
  // With no live backlog (after `conductor abandon`, say) there may still be factory builds to clean.
  const live = ctx.args[0] !== undefined || existsSync(path) ? await validateBacklogFile(path, display) : undefined;
  // A live backlog that is not valid keeps the live run's tasks as they are; factory builds have backlogs of their own.
  const invalid = live && !live.backlog ? new ConductorError('BACKLOG_INVALID', `${display} is not valid`, { problems: live.problems, hint: `clean reads the live run's task states from it; fix it, then conductor clean again${ctx.args[0] === undefined ? ' (factory builds were cleaned)' : ''}` }) : undefined;
  if (invalid && ctx.args[0] !== undefined) throw invalid; // a backlog named on the command line is all that was asked for
  const lock = await acquireRunLock(join(repoRoot, '.conductor'), 'conductor clean');
  try {
    const configured = (await configOf(ctx, repoRoot)).config.worktreeDir;
    if (live?.backlog) await cleanLive(ctx, repoRoot, live.backlog, configured);
    await cleanFactoryBuilds(ctx, repoRoot, configured);
    if (invalid) throw invalid;
    return 0;
  } finally {
    await lock.release();
  }
}

async function cleanLive(ctx: CommandContext, repoRoot: string, backlog: Backlog, configured: string | undefined): Promise<void> {
  const integration = `conductor/${backlog.feature}`;
  const hasIntegration = (await git(repoRoot).raw(['branch', '--list', integration])).trim() !== '';
  const mergedInto = hasIntegration ? integration : 'HEAD';
  const finished = new Set(backlog.tasks.filter((t) => t.status === 'done' || t.status === 'skipped').map((t) => t.id));
  const manager = new WorktreeManager(repoRoot, undefined, configured);
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
  await removeSpares(manager.worktreesDir); // node_modules prepared ahead for worktrees to come
  const kept = [...new Set([...present, ...branches])].filter((id) => !finished.has(id)).sort();
  ctx.stdout.write(`${candidates.length} finished task${candidates.length === 1 ? '' : 's'} cleaned${kept.length ? `; kept ${kept.join(', ')} (not finished)` : ''}\n`);
}

/**
 * Factory builds that ended: the worktrees and branches of their finished tasks, and their integration
 * worktree (the branch factory/<tag> is the result and stays). A build stopped before it ended is left
 * whole: the next `conductor factory` of its spec resumes it.
 */
async function cleanFactoryBuilds(ctx: CommandContext, repoRoot: string, configured: string | undefined): Promise<void> {
  const conductorDir = join(repoRoot, '.conductor');
  for (const build of await readBuildRecords(conductorDir)) {
    const naming = factoryNaming(build.tag);
    const manager = new WorktreeManager(repoRoot, naming, configured);
    const report = await validateBacklogFile(join(conductorDir, 'factory', build.tag, 'BACKLOG.yaml'), `.conductor/factory/${build.tag}/BACKLOG.yaml`);
    const ids = report.backlog?.tasks.map((t) => t.id) ?? [];
    const leftovers = await manager.taskLeftovers(ids);
    const integrationPlace = join(manager.worktreesDir, naming.integrationDir);
    const hasIntegration = existsSync(integrationPlace);
    if (leftovers.length === 0 && !hasIntegration) continue;
    if (build.state === 'running') {
      ctx.stdout.write(`kept factory build ${build.tag}: it stopped before it finished, and conductor factory resumes it\n`);
      continue;
    }
    const finished = new Set(report.backlog?.tasks.filter((t) => t.status === 'done' || t.status === 'skipped').map((t) => t.id));
    for (const id of leftovers.filter((i) => finished.has(i))) {
      const place = join(manager.worktreesDir, naming.taskDir(id));
      const salvaged = await manager.removeTask(id, naming.integrationBranch(build.tag));
      ctx.stdout.write(`removed the worktree ${place} and ${naming.taskBranch(id)}${salvaged ? ` (unmerged work saved to ${salvaged})` : ''}\n`);
    }
    if (hasIntegration) {
      const salvaged = await manager.removeIntegration(build.tag);
      ctx.stdout.write(`removed the worktree ${integrationPlace} (the branch ${naming.integrationBranch(build.tag)} stays)${salvaged ? `; uncommitted work saved to ${salvaged}` : ''}\n`);
    }
    const kept = leftovers.filter((i) => !finished.has(i));
    if (kept.length) ctx.stdout.write(`factory build ${build.tag}: kept ${kept.join(', ')} (not finished)\n`);
  }
}
