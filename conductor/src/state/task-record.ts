// Moving a task to a new state, persisted in the order that survives a crash:
// the status file first (the machine record), then BACKLOG.yaml's `status`
// (only if the human has not changed it meanwhile: their edit wins), then the
// BACKLOG.md checklist.
import { join } from 'node:path';
import type { Backlog, TaskState } from '../backlog/types.js';
import { setTaskFields } from '../backlog/backlog-document.js';
import { editBacklogFile } from '../backlog/backlog-file.js';
import { validateBacklogText } from '../backlog/validate-backlog.js';
import { writeFileAtomically } from './atomic-write.js';
import { renderBacklogMd } from './backlog-md.js';
import { transition, writeTaskStatus, type TaskStatus } from './status-file.js';
import type { EventInput } from './task-events.js';
import { emitEvent, type EventBody } from '../events/event-log.js';

/** The stream's event for a record's last transition. */
export function taskEventOf(status: TaskStatus): Extract<EventBody, { type: 'task' }> {
  const last = status.history.at(-1)!;
  const event: Extract<EventBody, { type: 'task' }> = { type: 'task', task: status.id, to: last.to, attempt: last.attempt ?? status.attempt, record: { attempt: status.attempt } };
  if (last.from !== undefined) event.from = last.from;
  if (last.kind !== undefined) event.kind = last.kind;
  if (last.cause !== undefined) event.cause = last.cause;
  if (last.data?.stage !== undefined) event.stage = last.data.stage;
  if (last.note !== undefined) event.note = last.note;
  if (status.startedAt !== undefined) event.record.startedAt = status.startedAt;
  if (status.endedAt !== undefined) event.record.endedAt = status.endedAt;
  return event;
}

export interface TaskFiles {
  tasksDir: string;
  backlogPath: string;
  /** The repository's .conductor/, where each transition is appended to the event stream. */
  conductorDir: string;
}

/** The live backlog's files under tasks/, or a factory build's under its own folder. */
export function taskFiles(repoRoot: string, tasksDir = join(repoRoot, 'tasks')): TaskFiles {
  return { tasksDir, backlogPath: join(tasksDir, 'BACKLOG.yaml'), conductorDir: join(repoRoot, '.conductor') };
}

export interface Recorded {
  status: TaskStatus;
  /** The human had set the backlog's status to something else; it was left as they wrote it. */
  humanOverride?: TaskState;
}

/** `event` says what kind of change this is and why (task-events.ts); `note` is the same for humans. */
export async function recordTransition(files: TaskFiles, current: TaskStatus, to: TaskState, patch: Partial<TaskStatus> = {}, note?: string, event?: EventInput): Promise<Recorded> {
  // The event belongs to the attempt that ran: a new one (running) or the one given back (interrupted).
  const attempt = Math.max(patch.attempt ?? current.attempt, current.attempt);
  const next: TaskStatus = { ...transition(current, to, { ...(note === undefined ? {} : { note }), ...(event ? { event } : {}), attempt }), ...patch };
  await writeTaskStatus(files.tasksDir, next);

  let humanOverride: TaskState | undefined;
  // The backlog as written: the one the edit validated, with this task's two fields set when the edit set them.
  const written: { backlog?: Backlog } = {};
  await editBacklogFile(files.backlogPath, (before) => {
    humanOverride = undefined;
    const backlog = validateBacklogText(before, files.backlogPath).backlog;
    written.backlog = backlog;
    const task = backlog?.tasks.find((t) => t.id === current.id);
    if (!task) return before; // invalid or edited away: scheduling pauses on it elsewhere; never overwrite
    if (task.status !== current.status && task.status !== to) {
      humanOverride = task.status;
      return before;
    }
    if (task.status === to && task.attempts === next.attempt) return before;
    written.backlog = { ...backlog!, tasks: backlog!.tasks.map((t) => (t.id === current.id ? { ...t, status: to, attempts: next.attempt } : t)) };
    return setTaskFields(before, current.id, { status: to, attempts: next.attempt });
  });
  if (written.backlog) await writeFileAtomically(join(files.tasksDir, 'BACKLOG.md'), renderBacklogMd(written.backlog), { derived: true });
  await emitEvent(files.conductorDir, taskEventOf(next));
  return humanOverride === undefined ? { status: next } : { status: next, humanOverride };
}
