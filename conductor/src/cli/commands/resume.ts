// conductor resume [--yes]: continue a run after a checkpoint, a crash or Ctrl-C,
// with the options it was started with (--yes, --provider, ...) unless given others.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConductorError } from '../../errors.js';
import { readFeatureRequest } from '../../intake/feature-request.js';
import { continueRun } from '../../phases/run-pipeline.js';
import { readJournal } from '../../state/run-journal.js';
import type { CommandContext } from '../context.js';
import { withRun } from './run-support.js';
import { implementOptions, reportRun, warnIfMergeBlocked } from './implement-report.js';
import { repoRootOf } from './shared.js';

export async function run(given: CommandContext): Promise<number> {
  // Read before the run starts: the remembered --provider decides which agents must be installed.
  const remembered = (await readJournal(join(repoRootOf(given), '.conductor')))?.options ?? {};
  const stated = Object.fromEntries(Object.entries(given.options).filter(([, value]) => value !== undefined));
  const ctx: CommandContext = { ...given, options: { ...remembered, ...stated } };
  const taken = Object.entries(remembered).filter(([name]) => stated[name] === undefined);
  const outcome = await withRun(ctx, 'conductor resume', async (phase) => {
    const journal = await readJournal(phase.conductorDir);
    if (!journal) throw new ConductorError('INPUT_INVALID', 'there is no run to resume here', { hint: 'start one with conductor run <feature-request.md>' });
    if (taken.length > 0) phase.report(`resume: with the options the run was started with: ${taken.map(([name, value]) => (value === true ? `--${name}` : `--${name} ${String(value)}`)).join(' ')}`);
    const requestFile = join(phase.repoRoot, journal.requestPath); // '' for a run `conductor implement` started: no request
    const request = journal.requestPath !== '' && existsSync(requestFile) ? await readFeatureRequest(requestFile, journal.requestPath, phase.config.budgets.featureRequestBytes) : undefined;
    if (journal.closed) throw new ConductorError('USAGE', `the run of "${journal.slug}" was ${journal.closed.how} at ${journal.closed.at}; there is nothing to resume`, { hint: 'start the next one with conductor run <feature-request.md>' });
    const options = implementOptions(ctx, phase.config.concurrency);
    await warnIfMergeBlocked(phase, options);
    return continueRun(phase, journal, request, ctx.options.yes === true, options, { resumed: true });
  }, { live: true });
  return reportRun(ctx, outcome);
}
