// One role, one fresh session: build the prompt, route it, run it.
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildPrompt } from '../agents/prompts.js';
import { createProvider, type RegistryOptions } from '../agents/registry.js';
import { routeFor } from '../agents/routing.js';
import { runAgentCall, type SessionOptions } from '../agents/session.js';
import type { AgentResult } from '../agents/types.js';
import type { Task } from '../backlog/types.js';
import type { ConductorConfig, Role } from '../config/types.js';
import type { Supervisor } from '../process/supervisor.js';
import type { GateOptions } from '../gates/run-gates.js';
import { git } from '../git/git.js';
import type { SandboxSpec } from '../process/sandbox.js';

export interface PhaseContext {
  repoRoot: string;
  conductorDir: string;
  /** Every ledger line of this run carries it: the journal's id for run/resume, a fresh one per other command. */
  runId: string;
  config: ConductorConfig;
  defaultProvider: string;
  signal?: AbortSignal;
  supervisor?: Supervisor;
  parentEnv?: NodeJS.ProcessEnv;
  registry?: RegistryOptions;
  /** Called after every agent call (record mode stores the session). */
  afterCall?: SessionOptions['afterCall'];
  /** Told each agent session's start and end (a remote worker reports them to its coordinator). */
  onSessionEvent?: SessionOptions['onEvent'];
  /** Progress lines for the user (the reporter). */
  report: (line: string) => void;
  /** Where task records live: tasks/ (default), or a factory build's own folder. */
  tasksDir?: string;
}

export function tasksDirOf(ctx: Pick<PhaseContext, 'repoRoot' | 'tasksDir'>): string {
  return ctx.tasksDir ?? join(ctx.repoRoot, 'tasks');
}

export interface RoleCall {
  attempt: number;
  taskId?: string;
  task?: Task;
  /** The worktree, for workers; other roles get a scratch directory. */
  cwd?: string;
}

export async function callRole(ctx: PhaseContext, role: Role, data: Record<string, unknown>, call: RoleCall): Promise<AgentResult> {
  const route = routeFor(ctx.config, role, call.task, ctx.defaultProvider);
  const provider = createProvider(route.provider, ctx.config, ctx.registry);
  const scratch = call.cwd ?? join(ctx.conductorDir, 'scratch', `${role}-${randomUUID().slice(0, 8)}`);
  await mkdir(scratch, { recursive: true });
  const t = ctx.config.timeouts;
  try {
    return await runAgentCall(
      provider,
      {
        role,
        attempt: call.attempt,
        prompt: buildPrompt(role, data, ctx.repoRoot),
        cwd: scratch,
        ...(call.taskId ? { taskId: call.taskId } : {}),
        ...(route.model ? { model: route.model } : {}),
        timeouts: { inactivityMs: t.inactivityMinutes * 60_000, hardMs: t.hardMinutes * 60_000, graceMs: 5000 },
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        ...(ctx.config.sandbox === 'bwrap' ? { sandbox: await sandboxFor(ctx.repoRoot, call.cwd) } : {}),
      },
      {
        conductorDir: ctx.conductorDir,
        runId: ctx.runId,
        ...(ctx.parentEnv ? { parentEnv: ctx.parentEnv } : {}),
        ...(ctx.supervisor ? { supervisor: ctx.supervisor } : {}),
        ...(ctx.afterCall ? { afterCall: ctx.afterCall } : {}),
        ...(ctx.onSessionEvent ? { onEvent: ctx.onSessionEvent } : {}),
      },
    );
  } finally {
    if (!call.cwd) await rm(scratch, { recursive: true, force: true });
  }
}

/** A worker may also write its worktree's own git admin directory (index, HEAD) and new objects; no other ref. */
async function sandboxFor(repoRoot: string, worktree: string | undefined): Promise<SandboxSpec> {
  if (!worktree) return { kind: 'bwrap', writable: [], readable: [repoRoot] };
  const g = git(worktree);
  const [gitDir, objects] = await Promise.all([g.raw(['rev-parse', '--path-format=absolute', '--git-dir']), g.raw(['rev-parse', '--path-format=absolute', '--git-path', 'objects'])]);
  return { kind: 'bwrap', writable: [gitDir.trim(), objects.trim()], readable: [repoRoot] };
}

/**
 * How every phase runs the gates: the configured timeout, logs under .conductor/logs (a factory build's under
 * its own records, so it never overwrites the logs the live run's status files point to), cancellable, marked as ours.
 */
export function gateOptions(ctx: PhaseContext, cwd: string, ...logPath: string[]): GateOptions {
  return {
    cwd,
    logDir: join(ctx.tasksDir ?? ctx.conductorDir, 'logs', ...logPath),
    defaultTimeoutMinutes: ctx.config.timeouts.gateMinutes,
    conductorDir: ctx.conductorDir,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.supervisor ? { supervisor: ctx.supervisor } : {}),
  };
}
