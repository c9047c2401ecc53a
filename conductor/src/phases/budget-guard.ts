// budgets.maxCostUsd during implementation: this run's spend, read from the
// ledger, against the per-run cap (no new starts) and the per-task cap (no
// further attempt). Unset caps cost nothing: the ledger is not even read.
import { readLedger } from '../agents/ledger.js';
import { formatUsd, sumCost } from '../report/cost.js';
import type { PhaseContext } from './call-role.js';

/** Why no task may start any more in this run, or undefined. Reports it the one time it is found. */
export async function runCapReached(ctx: PhaseContext): Promise<string | undefined> {
  const cap = ctx.config.budgets.maxCostUsd.perRun;
  if (cap === undefined) return undefined;
  const { entries } = await readLedger(ctx.conductorDir);
  const spent = sumCost(entries.filter((e) => e.runId === ctx.runId), ctx.config.pricing).usd;
  if (spent < cap) return undefined;
  const why = `cost cap: this run spent ${formatUsd(spent)} of its ${formatUsd(cap)} budget (budgets.maxCostUsd.perRun)`;
  ctx.report(`implement: ${why}; no new starts, running tasks finish`);
  return why;
}

/** Why `taskId` may get no further attempt in this run, or undefined. */
export async function taskCapReached(ctx: PhaseContext, taskId: string): Promise<string | undefined> {
  const cap = ctx.config.budgets.maxCostUsd.perTask;
  if (cap === undefined) return undefined;
  const { entries } = await readLedger(ctx.conductorDir);
  const spent = sumCost(entries.filter((e) => e.runId === ctx.runId && e.taskId === taskId), ctx.config.pricing).usd;
  if (spent < cap) return undefined;
  return `cost cap: ${taskId} spent ${formatUsd(spent)} of its ${formatUsd(cap)} budget (budgets.maxCostUsd.perTask)`;
}
