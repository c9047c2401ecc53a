// conductor implement [--only T01,T02]: phases 3-4 on tasks/BACKLOG.yaml, kept in
// the run record (.conductor/run.json) as any run is (phases/implement-run.ts).
import { ConductorError } from '../../errors.js';
import { implementAsRun } from '../../phases/implement-run.js';
import { runOptionsOf } from '../../state/run-journal.js';
import type { CommandContext } from '../context.js';
import { withRun } from './run-support.js';
import { implementOptions, reportImplement, warnIfMergeBlocked } from './implement-report.js';

export async function run(ctx: CommandContext): Promise<number> {
  if (ctx.args.length > 0) throw new ConductorError('USAGE', 'implement takes no arguments', { hint: 'use --only T01,T02 to pick tasks' });
  const summary = await withRun(ctx, 'conductor implement', async (phase) => {
    const options = implementOptions(ctx, phase.config.concurrency);
    await warnIfMergeBlocked(phase, options);
    return implementAsRun(phase, options, runOptionsOf(ctx.options));
  }, { live: true });
  return reportImplement(ctx, summary);
}
