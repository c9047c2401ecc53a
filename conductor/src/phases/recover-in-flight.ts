// What a crashed (or killed) run left behind, put right before any task starts:
// tasks left in flight become interrupted, with the attempt the crash cut short
// given back — except one whose branch already made it into the integration
// branch, which is done (that merge is never redone) — and the worktrees and
// branches of done tasks that a crash kept from being removed are removed.
import type { Backlog, Task, TaskState } from '../backlog/types.js';
import { isContainedIn } from '../git/git.js';
import { REVIEW_AGAIN } from '../review/no-verdict.js';
import type { WorktreeManager } from '../git/worktrees.js';
import { newTaskStatus, readTaskStatus, transition, type TaskStatus } from '../state/status-file.js';
import { recordTransition, type TaskFiles } from '../state/task-record.js';
import { tasksDirOf, type PhaseContext } from './call-role.js';
import { nextStep } from './next-step.js';

const IN_FLIGHT: ReadonlySet<TaskState> = new Set(['ready', 'running', 'verifying', 'review', 'merging']);

export interface InFlightScope {
  backlog: Backlog;
  files: TaskFiles;
  worktrees: WorktreeManager;
  integrationPath: string;
  integrationBranch: string;
}

export async function recoverInFlight(ctx: PhaseContext, { backlog, files, worktrees, integrationPath, integrationBranch }: InFlightScope): Promise<void> {
  // Tasks a crashed run left in flight start again, in a fresh session — except one whose
  // branch already made it into the integration branch: that merge is never redone.
  for (const task of backlog.tasks) {
    if (!IN_FLIGHT.has(task.status) || task.status === 'ready') continue;
    const status = { ...(await loadStatus(ctx, task)), status: task.status };
    const merged = task.status === 'merging' && (await isContainedIn(integrationPath, worktrees.naming.taskBranch(task.id), 'HEAD'));
    const next = nextStep(task, status, { merged });
    if (next.step === 'record-merge') {
      await recordTransition(files, status, 'done', { pid: undefined, endedAt: new Date().toISOString() }, `merged into ${integrationBranch} (found on resume)`, { cause: 'merge-found-on-resume' });
      await worktrees.removeTask(task.id, integrationBranch).catch(() => undefined);
      continue;
    }
    if (next.step !== 'recover') continue;
    // The crash is not the task's fault: the attempt it cut short is given back (as a rate limit's is).
    // A task left in review without a verdict waits for this: its attempt's commit goes to a new reviewer.
    const note = next.cause === 'no-verdict' ? REVIEW_AGAIN : 'conductor stopped while this task was in flight';
    await recordTransition(files, status, 'interrupted', { pid: undefined, attempt: Math.max(0, Math.max(task.attempts, status.attempt) - 1) }, note, { cause: next.cause, stage: next.then });
  }
  // A crash between a task's merge and the removal of its worktree left them behind (the removal waits its turn).
  for (const id of await worktrees.taskLeftovers(backlog.tasks.filter((t) => t.status === 'done').map((t) => t.id))) {
    await worktrees.removeTask(id, integrationBranch);
  }
}

/** A task's status file as the backlog now has it (a human's state edit wins); a fresh one when missing or unreadable. */
export async function loadStatus(ctx: PhaseContext, task: Task): Promise<TaskStatus> {
  const read = await readTaskStatus(tasksDirOf(ctx), task.id);
  // A human who set a blocked task back to pending gives it the attempts the backlog now says.
  // That is the human's move, recorded as such (a `conductor retry` while a conductor runs makes it through the backlog alone).
  if (read.kind === 'ok' && read.status.status === 'blocked' && task.status === 'pending') {
    const note = `set back to pending by hand in tasks/BACKLOG.yaml (or conductor retry) with ${task.attempts} attempt${task.attempts === 1 ? '' : 's'}`;
    return { ...transition(read.status, 'pending', { by: 'human', note, event: { kind: 'human', cause: 'retried-by-hand' } }), attempt: task.attempts };
  }
  if (read.kind === 'ok') return { ...read.status, status: task.status };
  if (read.kind === 'corrupt') ctx.report(`implement: tasks/${task.id}.status.json was unreadable (${read.reason}); set aside as ${read.movedTo}`);
  return { ...newTaskStatus(task.id), status: task.status, attempt: task.attempts };
}
