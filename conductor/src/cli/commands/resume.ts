// conductor resume [--yes]: continue a run after a checkpoint, a crash or Ctrl-C.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConductorError } from '../../errors.js';
import { readFeatureRequest } from '../../intake/feature-request.js';
import { continueRun } from '../../phases/run-pipeline.js';
import { readJournal } from '../../state/run-journal.js';
import type { CommandContext } from '../context.js';
import { withRun } from './run-support.js';
import { implementOptions, reportRun, warnIfMergeBlocked } from './implement-report.js';

export async function run(ctx: CommandContext): Promise<number> {
  const outcome = await withRun(ctx, 'conductor resume', async (phase) => {
    const journal = await readJournal(phase.conductorDir);
    if (!journal) throw new ConductorError('INPUT_INVALID', 'there is no run to resume here', { hint: 'start one with conductor run <feature-request.md>' });
    const requestFile = join(phase.repoRoot, journal.requestPath);
    const request = existsSync(requestFile) ? await readFeatureRequest(requestFile, journal.requestPath, phase.config.budgets.featureRequestBytes) : undefined;
    if (journal.closed) throw new ConductorError('USAGE', `the run of "${journal.slug}" was ${journal.closed.how} at ${journal.closed.at}; there is nothing to resume`, { hint: 'start the next one with conductor run <feature-request.md>' });
    const options = implementOptions(ctx, phase.config.concurrency);
    await warnIfMergeBlocked(phase, options);
    return continueRun(phase, journal, request, ctx.options.yes === true, options);
  }, { live: true });
  return reportRun(ctx, outcome);
}
