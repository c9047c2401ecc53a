// What an attempt leaves behind, in one shape for both places that keep it:
// the task's status record (paths relative to the repository: the file may be
// committed) and the run's event stream (one gate-result event per gate).
import { emitEvent } from '../events/event-log.js';
import type { GateRun } from '../gates/run-gates.js';
import { setupRecord } from '../prepare/prepare-worktree.js';
import { portablePath, portableSetup } from '../state/portable-path.js';
import type { TaskStatus } from '../state/status-file.js';
import type { AttemptOutcome } from './task-attempt.js';

/** A gate's result as both the record and the stream keep it, its log path given by `path`. */
function gateFields({ name, passed, durationMs, exitCode, log }: GateRun, path: (p: string) => string) {
  return { name, passed, durationMs, ...(exitCode !== undefined ? { exitCode } : {}), ...(log ? { log: path(log) } : {}) };
}

/** The status record's fields for the attempt `work`. */
export function attemptPatch(repoRoot: string, work: AttemptOutcome): Partial<TaskStatus> {
  const portable = (path: string) => portablePath(repoRoot, path);
  const patch: Partial<TaskStatus> = {
    worktree: portable(work.worktree),
    branch: work.branch,
    baseCommit: work.baseCommit,
    files: { modified: work.files },
    verification: { gates: work.gates.map((g) => gateFields(g, portable)), ...(work.setup ? { setup: portableSetup(repoRoot, setupRecord(work.setup)) } : {}) },
  };
  if (work.agent) patch.metrics = { contextBytes: work.contextBytes, durationMs: work.agent.durationMs, ...(work.agent.usage ? { inputTokens: work.agent.usage.inputTokens, outputTokens: work.agent.usage.outputTokens } : {}), ...(work.agent.costUsd !== undefined ? { costUsd: work.agent.costUsd } : {}) };
  return patch;
}

/** Each gate's result on the run's event stream. */
export async function emitGateResults(conductorDir: string, task: string, attempt: number, gates: readonly GateRun[]): Promise<void> {
  for (const g of gates) await emitEvent(conductorDir, { type: 'gate-result', task, attempt, ...gateFields(g, (p) => p) });
}

/** How long the preparation before the gates took, for the report's timeline to split setup from gates (report/task-steps.ts). */
export function setupTime(work: AttemptOutcome): { setupMs: number } | undefined {
  return work.setup && work.gates.length > 0 ? { setupMs: work.setup.durationMs } : undefined;
}
