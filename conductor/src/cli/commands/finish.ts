// conductor finish [--yes]: close a run whose tasks are all done. Merge the
// integration branch into the user's branch (only into a clean checkout; a
// refusal changes nothing and exits 1), free the integration worktree so
// `git branch -d conductor/<feature>` works, list the run's salvage refs and
// delete them when confirmed (or --yes), and mark the run finished. Run again
// on a finished run, it only offers the salvage refs again.
import { ConductorError } from '../../errors.js';
import { mergeIntoCheckout } from '../../git/merge-into-checkout.js';
import { deleteRefs, freeLiveWorktrees, listSalvageRefs, refsOfRun, type SalvageRef } from '../../git/run-leftovers.js';
import { LIVE_NAMING } from '../../git/worktrees.js';
import { formatProblem } from '../../problems.js';
import { writeJournal } from '../../state/run-journal.js';
import type { CommandContext } from '../context.js';
import { plural, runAtHand } from './run-end.js';
import { configOf } from './shared.js';

export async function run(ctx: CommandContext): Promise<number> {
  const at = await runAtHand(ctx, 'conductor finish');
  try {
    const { repoRoot, journal, backlog } = at;
    if (!backlog) {
      throw new ConductorError('BACKLOG_INVALID', 'tasks/BACKLOG.yaml is missing or not valid: finish reads the run\'s tasks from it', { problems: at.problems, hint: 'fix it, or stop tracking the run with conductor abandon' });
    }
    const feature = backlog.feature;
    const branch = LIVE_NAMING.integrationBranch(feature);
    const ids = backlog.tasks.map((t) => t.id);
    if (!journal?.closed) {
      if (journal && !(journal.phase === 'implement' && journal.state === 'finished')) {
        const where = journal.state === 'paused' ? `paused at the ${journal.checkpoint ?? journal.phase} checkpoint` : `stopped during ${journal.phase}`;
        throw new ConductorError('USAGE', `the run of "${journal.slug}" is not over: it is ${where}`, { hint: 'continue it with conductor resume, or stop tracking it with conductor abandon' });
      }
      const unfinished = backlog.tasks.filter((t) => t.status !== 'done' && t.status !== 'skipped');
      if (unfinished.length > 0) {
        throw new ConductorError('USAGE', `not every task is done: ${unfinished.map((t) => `${t.id} (${t.status})`).join(', ')}`, {
          hint: `retry one with conductor retry ${unfinished[0]!.id} then conductor resume, or stop tracking the run with conductor abandon (its branches stay)`,
        });
      }
      const merge = await mergeIntoCheckout(repoRoot, branch, (await configOf(ctx, repoRoot)).config.docsDir);
      if (!merge.merged) {
        ctx.stdout.write(`${merge.message}\nnothing else was done; run conductor finish again when the merge can happen\n`);
        return 1;
      }
      ctx.stdout.write(`${merge.message}\n`);
      const freed = await freeLiveWorktrees(repoRoot, feature);
      if (freed.integrationRemoved) ctx.stdout.write(`removed the integration worktree; delete the branch when you like: git branch -d ${branch}\n`);
      for (const ref of freed.salvaged) ctx.stdout.write(`saved unmerged work to ${ref}\n`);
      if (journal) await writeJournal(at.conductorDir, { ...journal, closed: { how: 'finished', at: new Date().toISOString() } });
      ctx.stdout.write(`the run of "${feature}" is finished\n`);
    } else {
      ctx.stdout.write(`the run of "${journal.slug}" was finished at ${journal.closed.at}\n`);
    }
    if (at.problems.length) ctx.stderr.write(`${at.problems.map(formatProblem).join('\n')}\n`);
    return pruneSalvage(ctx, repoRoot, refsOfRun(await listSalvageRefs(repoRoot), ids, journal?.startedAt));
  } finally {
    await at.lock.release();
  }
}

/** List the run's salvage refs; delete them on --yes or a "y" at the terminal, else say how. */
async function pruneSalvage(ctx: CommandContext, repoRoot: string, refs: readonly SalvageRef[]): Promise<number> {
  if (refs.length === 0) {
    ctx.stdout.write('no salvage refs from this run\n');
    return 0;
  }
  ctx.stdout.write(`${plural(refs.length, 'salvage ref')} from this run (work conductor kept when it removed a worktree):\n${refs.map((r) => `  ${r.ref}\n`).join('')}`);
  const yes = ctx.options.yes === true || (ctx.confirm ? await ctx.confirm(`delete ${refs.length === 1 ? 'it' : `these ${refs.length}`}? [y/N] `) : false);
  if (!yes) {
    ctx.stdout.write('kept them; delete them with: conductor finish --yes (or git update-ref -d <ref>)\n');
    return 0;
  }
  await deleteRefs(repoRoot, refs);
  ctx.stdout.write(`deleted ${plural(refs.length, 'salvage ref')}\n`);
  return 0;
}
