// conductor resume [--yes]: continue a run after a checkpoint, a crash or Ctrl-C.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConductorError } from '../../errors.js';
import { readFeatureRequest } from '../../intake/feature-request.js';
import { continueRun } from '../../phases/run-pipeline.js';
import { readJournal } from '../../state/run-journal.js';
import type { CommandContext } from '../context.js';
import { configOf, repoRootOf } from './shared.js';
import { withRun } from './run-support.js';
import { implementOptions, reportImplement } from './implement-report.js';

export async function run(ctx: CommandContext): Promise<number> {
  const repoRoot = repoRootOf(ctx);
  const { config } = await configOf(ctx, repoRoot);
  const outcome = await withRun(ctx, 'conductor resume', async (phase) => {
    const journal = await readJournal(join(repoRoot, '.conductor'));
    if (!journal) throw new ConductorError('INPUT_INVALID', 'there is no run to resume here', { hint: 'start one with conductor run <feature-request.md>' });
    const requestFile = join(repoRoot, journal.requestPath);
    const request = existsSync(requestFile) ? await readFeatureRequest(requestFile, journal.requestPath, config.budgets.featureRequestBytes) : undefined;
    return continueRun(phase, journal, request, ctx.options.yes === true, implementOptions(ctx, phase.config.concurrency));
  });
  if (outcome.implement) return reportImplement(ctx, outcome.implement);
  ctx.stdout.write(`${outcome.message ?? ''}\n`);
  return 0;
}
