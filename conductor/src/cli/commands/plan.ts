// conductor plan <feature-request.md>: phase 1 (planners → PLAN.md).
import { relative, resolve } from 'node:path';
import { ConductorError } from '../../errors.js';
import { readFeatureRequest } from '../../intake/feature-request.js';
import { runPlanPhase } from '../../phases/plan-phase.js';
import type { CommandContext } from '../context.js';
import { configOf, repoRootOf } from './shared.js';
import { withRun } from './run-support.js';

export async function run(ctx: CommandContext): Promise<number> {
  const given = ctx.args[0];
  if (!given) throw new ConductorError('USAGE', 'missing the feature request', { hint: 'usage: conductor plan <feature-request.md>' });
  const { config } = await configOf(ctx, repoRootOf(ctx));
  const request = await readFeatureRequest(resolve(ctx.cwd, given), given, config.budgets.featureRequestBytes);
  if (request.missingSections.length > 0) ctx.stderr.write(`warning: ${given} has no ${request.missingSections.join(', ')} section${request.missingSections.length === 1 ? '' : 's'} (the template is in docs/workflow.md)\n`);
  const result = await withRun(ctx, `conductor plan ${given}`, (phase) => runPlanPhase(phase, request));
  ctx.stdout.write(`${relative(ctx.cwd, result.planPath)}\nnext: review it, then run conductor backlog ${relative(ctx.cwd, result.planPath)}\n`);
  return 0;
}
