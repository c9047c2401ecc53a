// conductor run <feature-request.md> [--yes]: every phase, pausing at checkpoints.
import { relative } from 'node:path';
import { startRun } from '../../phases/run-pipeline.js';
import { runOptionsOf } from '../../state/run-journal.js';
import type { CommandContext } from '../context.js';
import { requestFromArgs } from './shared.js';
import { withRun } from './run-support.js';
import { implementOptions, reportRun, warnIfMergeBlocked } from './implement-report.js';

export async function run(ctx: CommandContext): Promise<number> {
  const outcome = await withRun(ctx, `conductor run ${ctx.args[0] ?? ''}`.trim(), async (phase) => {
    const { request, path } = await requestFromArgs(ctx, 'run', phase.config.budgets.featureRequestBytes);
    const options = implementOptions(ctx, phase.config.concurrency);
    await warnIfMergeBlocked(phase, options);
    return startRun(phase, request, relative(phase.repoRoot, path), ctx.options.yes === true, options, { restart: ctx.options.restart === true, remember: runOptionsOf(ctx.options) });
  }, { live: true });
  return reportRun(ctx, outcome);
}
