// conductor run <feature-request.md> [--yes]: every phase, pausing at checkpoints.
import { relative, resolve } from 'node:path';
import { ConductorError } from '../../errors.js';
import { readFeatureRequest } from '../../intake/feature-request.js';
import { startRun } from '../../phases/run-pipeline.js';
import type { CommandContext } from '../context.js';
import { configOf, repoRootOf } from './shared.js';
import { withRun } from './run-support.js';
import { implementOptions, reportImplement } from './implement-report.js';

export async function run(ctx: CommandContext): Promise<number> {
  const given = ctx.args[0];
  if (!given) throw new ConductorError('USAGE', 'missing the feature request', { hint: 'usage: conductor run <feature-request.md>' });
  const repoRoot = repoRootOf(ctx);
  const { config } = await configOf(ctx, repoRoot);
  const path = resolve(ctx.cwd, given);
  const request = await readFeatureRequest(path, given, config.budgets.featureRequestBytes);
  if (request.missingSections.length > 0) ctx.stderr.write(`warning: ${given} has no ${request.missingSections.join(', ')} section${request.missingSections.length === 1 ? '' : 's'} (the template is in docs/workflow.md)\n`);
  const outcome = await withRun(ctx, `conductor run ${given}`, (phase) => startRun(phase, request, relative(repoRoot, path), ctx.options.yes === true, implementOptions(ctx, phase.config.concurrency)));
  if (outcome.implement) return reportImplement(ctx, outcome.implement);
  ctx.stdout.write(`${outcome.message ?? ''}\n`);
  return 0;
}
