// `done` is conductor's alone: a task is done when conductor merged it into the
// integration branch and recorded that in its status file. A `done` written
// into BACKLOG.yaml by anyone else (a worker writing ../../tasks/BACKLOG.yaml,
// a human) is not taken: the task keeps its recorded state. And a stale copy of
// the backlog saved over a finished task (an editor buffer from before the run)
// does not roll it back: the record wins. Either way the file is put right and
// the user is told, once per task; a stale save is also a `human` event in the
// task's history (cause stale-save-ignored), the state it tried to set in data.written.
import type { Backlog, Task, TaskState } from '../backlog/types.js';
import { setTaskFields } from '../backlog/backlog-document.js';
import { editBacklogFile } from '../backlog/backlog-file.js';
import { peekTaskStatus, transition, writeTaskStatus } from '../state/status-file.js';

export interface DoneRecord {
  /** Tasks whose status file records conductor's own move to done. */
  done: Set<string>;
  /** What the status file last recorded for the others. */
  recorded: Map<string, TaskState>;
}

/** Read once per run (a status file per task); the run adds to it as it merges. */
export async function readDoneRecord(tasksDir: string, backlog: Backlog): Promise<DoneRecord> {
  const record: DoneRecord = { done: new Set(), recorded: new Map() };
  await Promise.all(
    backlog.tasks.map(async (task) => {
      const read = await peekTaskStatus(tasksDir, task.id);
      if (read.kind !== 'ok') return;
      const last = read.status.history.at(-1);
      if (read.status.status === 'done' && last?.to === 'done' && (last.from === 'merging' || last.from === 'done')) record.done.add(task.id);
      else record.recorded.set(task.id, read.status.status);
    }),
  );
  return record;
}

export interface Correction {
  id: string;
  written: TaskState;
  kept: TaskState;
  message: string;
}

/** Pure: where the backlog's `status` disagrees with conductor's record about `done`, what state is kept. */
export function decideDone(tasks: readonly Pick<Task, 'id' | 'status'>[], record: DoneRecord, backlogName: string): Correction[] {
  const corrections: Correction[] = [];
  for (const task of tasks) {
    const merged = record.done.has(task.id);
    if (task.status === 'done' && !merged) {
      const kept = record.recorded.get(task.id) ?? 'pending';
      const state = kept === 'done' ? 'pending' : kept;
      corrections.push({ id: task.id, written: 'done', kept: state, message: `${task.id} is marked done in ${backlogName}, but conductor never merged it: ignored, it stays ${state} (only conductor sets done, after its merge; for work done elsewhere, set skipped)` });
    } else if (task.status !== 'done' && merged && task.status !== 'skipped') {
      corrections.push({ id: task.id, written: task.status, kept: 'done', message: `${task.id} is set to ${task.status} in ${backlogName}, but it is merged: kept done (a stale copy of the file?); to redo a merged task, give it a new id` });
    }
  }
  return corrections;
}

/** Apply the corrections to the backlog in memory and in its file (a concurrent human edit is re-read, never lost). */
export async function applyCorrections(backlog: Backlog, corrections: readonly Correction[], backlogPath: string): Promise<Backlog> {
  if (corrections.length === 0) return backlog;
  const kept = new Map(corrections.map((c) => [c.id, c]));
  await editBacklogFile(backlogPath, (text) => {
    let out = text;
    for (const c of corrections) {
      try {
        out = setTaskFields(out, c.id, { status: c.kept });
      } catch {
        // the task was edited away meanwhile: nothing to put right
      }
    }
    return out;
  });
  return { ...backlog, tasks: backlog.tasks.map((t) => (kept.has(t.id) ? { ...t, status: kept.get(t.id)!.kept } : t)) };
}

/** A stale save ignored: the merged task's history says so (done to done, kind human), the state it held in data.written. */
export async function recordStaleSave(tasksDir: string, correction: Correction): Promise<void> {
  const read = await peekTaskStatus(tasksDir, correction.id);
  if (read.kind !== 'ok' || read.status.status !== 'done') return;
  const note = `a save set it to ${correction.written} in tasks/BACKLOG.yaml; ignored: it is merged, conductor's record (done) kept`;
  await writeTaskStatus(tasksDir, transition(read.status, 'done', { by: 'human', note, event: { kind: 'human', cause: 'stale-save-ignored', data: { written: correction.written } } }));
}
