// The gates run only on a prepared worktree (#16): its dependencies in place
// and the resolution check passed, with the environment the check used
// (PYTHONPATH). One helper for every place gates run: the baseline on the
// integration worktree, a task's attempt, after an approval, after a merge.
import { sep } from 'node:path';
import type { GateOptions } from '../gates/run-gates.js';
import { prepareWorktree, type SetupOutcome } from '../prepare/prepare-worktree.js';
import { portablePath } from '../state/portable-path.js';
import { gateOptions, type PhaseContext } from './call-role.js';

/** Prepare `cwd` (and check it when `check`), then the options its gates run with; `setup.ok` false means a setup error. */
export async function preparedGates(ctx: PhaseContext, cwd: string, check: boolean, ...logPath: string[]): Promise<{ options: GateOptions; setup: SetupOutcome }> {
  const options = gateOptions(ctx, cwd, ...logPath);
  const setup = await prepareWorktree({ worktree: cwd, userRoot: ctx.repoRoot, ...(ctx.config.setup ? { setup: ctx.config.setup } : {}), check, hardLinks: ctx.config.sandbox !== 'bwrap', gates: options });
  if (!setup.gateEnv) return { options, setup };
  return { options: { ...options, parentEnv: { ...(options.parentEnv ?? process.env), ...setup.gateEnv } }, setup };
}

/** A failed setup in one line, with its log named relative to the repository (the line goes into task notes and records). */
export function setupFailure(setup: SetupOutcome, repoRoot: string): string {
  const detail = (setup.detail ?? 'setup failed').replaceAll(`${repoRoot}${sep}`, '');
  const log = setup.log ? portablePath(repoRoot, setup.log) : undefined;
  return `${detail}${log && !detail.includes(log) ? `; log: ${log}` : ''}`;
}
