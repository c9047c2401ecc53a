// Options and the closing report shared by `implement`, `run` and `resume`.
import { ConductorError } from '../../errors.js';
import { checkoutBlocker } from '../../git/merge-into-checkout.js';
import type { PhaseContext } from '../../phases/call-role.js';
import type { ImplementOptions, ImplementSummary } from '../../phases/implement-phase.js';
import type { PipelineOutcome } from '../../phases/run-pipeline.js';
import type { CommandContext } from '../context.js';

export function implementOptions(ctx: CommandContext, configured: number): ImplementOptions {
  const raw = ctx.options.concurrency;
  const concurrency = raw === undefined ? configured : Number(raw);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) {
    throw new ConductorError('USAGE', `Expected \`--concurrency\` to be an integer from 1 to 16, got \`${String(raw)}\``);
  }
  const only = typeof ctx.options.only === 'string' ? new Set(ctx.options.only.split(',').map((id) => id.trim()).filter(Boolean)) : undefined;
  return { concurrency, allowFailingBaseline: ctx.options['allow-failing-baseline'] === true, baseRef: 'HEAD', mergeIntoCheckout: ctx.options.merge === true, ...(only ? { only } : {}) };
}

/** Print where every task ended; exit 1 when any task is not done or skipped, or a --merge did not happen. */
export function reportImplement(ctx: CommandContext, summary: ImplementSummary): number {
  const entries = Object.entries(summary.states);
  const counts = new Map<string, number>();
  for (const [, state] of entries) counts.set(state, (counts.get(state) ?? 0) + 1);
  ctx.stdout.write(`${entries.length} task${entries.length === 1 ? '' : 's'}: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}\n`);
  if (summary.quotaPause) ctx.stdout.write(`new starts paused after a rate limit (${summary.quotaPause}); run conductor resume later\n`);
  const unfinished = entries.filter(([, s]) => s !== 'done' && s !== 'skipped').map(([id]) => id);
  // The cap matters to the user only when it left work undone.
  if (summary.costStop && unfinished.length > 0) ctx.stdout.write(`${summary.costStop}; new starts stopped and running tasks finished; conductor report has the figures\n`);
  if (unfinished.length === 0) {
    ctx.stdout.write(summary.checkoutMerge ? `all merged into ${summary.integrationBranch}; ${summary.checkoutMerge.message}\n` : `all merged into ${summary.integrationBranch}; merge it into your branch with: git merge ${summary.integrationBranch}\n`);
    // --merge asked for the merge: one that did not happen is not success.
    return summary.checkoutMerge && !summary.checkoutMerge.merged ? 1 : 0;
  }
  if (summary.checkoutMerge) ctx.stdout.write(`${summary.checkoutMerge.message}\n`);
  ctx.stdout.write(`not finished: ${unfinished.join(', ')} (conductor status shows why; tasks/<id>.notes.md has each attempt)\n`);
  return 1;
}

/** The end of `run` or `resume`: where the tasks ended, or what to review at a checkpoint. */
export function reportRun(ctx: CommandContext, outcome: PipelineOutcome): number {
  if (outcome.implement) return reportImplement(ctx, outcome.implement);
  ctx.stdout.write(`${outcome.message ?? ''}\n`);
  return 0;
}

/** --merge on a checkout that cannot take the merge: said at the start, not only after the whole run. */
export async function warnIfMergeBlocked(phase: PhaseContext, options: ImplementOptions): Promise<void> {
  if (!options.mergeIntoCheckout) return;
  const blocker = await checkoutBlocker(phase.repoRoot, phase.config.docsDir);
  if (blocker) phase.report(`warning: --merge: ${blocker}; unless that changes by the end, the merge will not happen and the run exits 1`);
}
