// A human stops a running task by setting its status to `skipped` or `blocked`
// in tasks/BACKLOG.yaml. The implement loop reads the backlog at least once a
// second while tasks run; a running task whose backlog state is one of these,
// while conductor's own record (its status file) says otherwise, was stopped
// by hand: its signal is aborted — its agent and gates get their process
// group stopped, as on Ctrl-C — and once its attempt has unwound, its work is
// saved to a salvage ref, its worktree and branch removed, and its record set
// to the human's state. It is never reviewed or merged afterwards; its
// dependents are then held or released as for any skipped or blocked task.
// A task not running that the human sets to skipped or blocked is recorded so
// too. Each is a typed event of kind `human` in the task's history, with its
// cause: stopped-by-hand or set-by-hand (task-events.ts).
import type { Backlog, TaskState } from '../backlog/types.js';
import type { WorktreeManager } from '../git/worktrees.js';
import { newTaskStatus, peekTaskStatus, transition, writeTaskStatus } from '../state/status-file.js';
import type { PhaseContext } from './call-role.js';
import { appendNotes } from './task-notes.js';

type StopState = Extract<TaskState, 'skipped' | 'blocked'>;
const STOP_STATES: ReadonlySet<TaskState> = new Set<TaskState>(['skipped', 'blocked']);

export class HumanStops {
  private readonly tasks = new Map<string, { controller: AbortController; requested?: StopState }>();

  /** The signal a task runs under: the run's (Ctrl-C) or a human's stop of this task. */
  signalFor(id: string, runSignal: AbortSignal | undefined): AbortSignal {
    const controller = new AbortController();
    this.tasks.set(id, { controller });
    return runSignal ? AbortSignal.any([runSignal, controller.signal]) : controller.signal;
  }

  /** Stop the running tasks the human set to skipped or blocked; returns those newly stopped. */
  async check(backlog: Backlog, tasksDir: string): Promise<{ id: string; state: StopState }[]> {
    const stopped: { id: string; state: StopState }[] = [];
    for (const [id, entry] of this.tasks) {
      if (entry.requested) continue;
      const written = backlog.tasks.find((t) => t.id === id)?.status;
      if (written === undefined || !STOP_STATES.has(written)) continue;
      // conductor blocks tasks itself (attempts used up, a cost cap): its record then says so already.
      const record = await peekTaskStatus(tasksDir, id);
      if (record.kind === 'ok' && record.status.status === written) continue;
      entry.requested = written as StopState;
      entry.controller.abort();
      stopped.push({ id, state: entry.requested });
    }
    return stopped;
  }

  /**
   * Tasks this run is not running that the human set to skipped or blocked while their record says otherwise:
   * the record follows, with a `human` event (cause set-by-hand). Returns those recorded.
   */
  async recordSettled(backlog: Backlog, tasksDir: string, running: { has(id: string): boolean }): Promise<{ id: string; state: StopState; was: TaskState }[]> {
    const recorded: { id: string; state: StopState; was: TaskState }[] = [];
    for (const task of backlog.tasks) {
      if (!STOP_STATES.has(task.status) || running.has(task.id) || this.tasks.has(task.id)) continue;
      const read = await peekTaskStatus(tasksDir, task.id);
      if (read.kind === 'corrupt') continue; // recovery moves it aside and starts it again; not ours to write
      // A done task set back by a stale save is done-authority's; conductor's own block is already recorded.
      if (read.kind === 'ok' && (read.status.status === task.status || read.status.status === 'done')) continue;
      const record = read.kind === 'ok' ? read.status : newTaskStatus(task.id);
      const state = task.status as StopState;
      await writeTaskStatus(tasksDir, { ...transition(record, state, { by: 'human', note: `set to ${state} by hand in tasks/BACKLOG.yaml (it was ${record.status})`, event: { kind: 'human', cause: 'set-by-hand' } }), pid: undefined });
      recorded.push({ id: task.id, state, was: record.status });
    }
    return recorded;
  }

  /** The task's run is over: what the human asked for, if anything. */
  finished(id: string): StopState | undefined {
    const requested = this.tasks.get(id)?.requested;
    this.tasks.delete(id);
    return requested;
  }
}

/** After a stopped task's attempt unwound: its work to a salvage ref, its worktree gone, its record in the human's state. */
export async function settleStopped(ctx: PhaseContext, worktrees: WorktreeManager, integrationBranch: string, tasksDir: string, id: string, state: StopState): Promise<void> {
  const record = await peekTaskStatus(tasksDir, id);
  if (record.kind === 'ok' && record.status.status === 'done') return; // it merged before the stop took effect
  const salvaged = await worktrees.removeTask(id, integrationBranch).catch((error: unknown) => {
    ctx.report(`implement: could not remove the worktree of ${id}: ${(error as Error).message}`);
    return undefined;
  });
  const note = `stopped by hand: set to ${state} in tasks/BACKLOG.yaml while it ran${salvaged ? `; its work is in ${salvaged}` : ''}`;
  if (record.kind === 'ok') {
    await writeTaskStatus(tasksDir, { ...transition(record.status, state, { by: 'human', note, event: { kind: 'human', cause: 'stopped-by-hand' } }), pid: undefined, endedAt: new Date().toISOString() });
  }
  await appendNotes(ctx, id, ['## Stopped by hand', '', `${note}. It was not reviewed or merged.`]);
  ctx.report(`implement: ${id} ${note}`);
}
