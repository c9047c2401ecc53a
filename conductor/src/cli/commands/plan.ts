// conductor plan <feature-request.md>: phase 1 (planners → PLAN.md).
import { relative } from 'node:path';
import { runPlanPhase } from '../../phases/plan-phase.js';
import type { CommandContext } from '../context.js';
import { requestFromArgs } from './shared.js';
import { withRun } from './run-support.js';

export async function run(ctx: CommandContext): Promise<number> {
  const result = await withRun(ctx, `conductor plan ${ctx.args[0] ?? ''}`.trim(), async (phase) => {
    const { request } = await requestFromArgs(ctx, 'plan', phase.config.budgets.featureRequestBytes);
    return runPlanPhase(phase, request);
  });
  ctx.stdout.write(`${relative(ctx.cwd, result.planPath)}\nnext: review it, then run conductor backlog ${relative(ctx.cwd, result.planPath)}\n`);
  return 0;
}
