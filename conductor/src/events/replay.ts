// A run's event stream read back into what `conductor status --json` shows
// ({run, tasks}): the same row and run logic (taskRows, describeRun) fed from
// the events instead of the files. Used for earlier runs in the dashboard and
// to prove the stream says everything `status` knows.
import type { TaskState } from '../backlog/types.js';
import type { RunJournal } from '../state/run-journal.js';
import type { StatusRead, TaskStatus } from '../state/status-file.js';
import type { TaskEvent } from '../state/task-events.js';
import { describeRun } from '../status/run-view.js';
import type { StatusSnapshot } from '../status/snapshot.js';
import { taskRows } from '../status/task-table.js';
import type { BacklogTaskInfo, ConductorEvent } from './event-log.js';

export interface ReplayOptions {
  /** A conductor holds the run's lock now (a stream still being written): a run recorded running is running. */
  live?: boolean;
  now?: Date;
}

export function replayStatus(events: readonly ConductorEvent[], options: ReplayOptions = {}): StatusSnapshot {
  let journal: RunJournal | undefined;
  const tasks = new Map<string, BacklogTaskInfo>();
  const records = new Map<string, TaskStatus>();
  const sessionStarts = new Map<string, string>();
  const calls: { taskId?: string; at: string; inputTokens?: number; outputTokens?: number; costUsd?: number }[] = [];
  for (const event of events) {
    switch (event.type) {
      case 'run':
        journal = event.journal;
        break;
      case 'backlog':
        if (!event.partial) tasks.clear();
        for (const t of event.tasks) tasks.set(t.id, { ...t, ...(tasks.has(t.id) && event.partial ? { status: tasks.get(t.id)!.status, attempts: tasks.get(t.id)!.attempts } : {}) });
        break;
      case 'task': {
        const entry: TaskEvent = { at: event.at, to: event.to, attempt: event.attempt };
        if (event.from !== undefined) entry.from = event.from;
        if (event.kind !== undefined) entry.kind = event.kind;
        if (event.cause !== undefined) entry.cause = event.cause;
        if (event.stage !== undefined) entry.data = { stage: event.stage };
        if (event.note !== undefined) entry.note = event.note;
        const before = records.get(event.task);
        const record: TaskStatus = { id: event.task, status: event.to as TaskState, attempt: event.record.attempt, createdAt: before?.createdAt ?? event.at, updatedAt: event.at, history: [...(before?.history ?? []), entry] };
        if (event.record.startedAt !== undefined) record.startedAt = event.record.startedAt;
        if (event.record.endedAt !== undefined) record.endedAt = event.record.endedAt;
        const note = event.note ?? before?.note;
        if (note !== undefined) record.note = note;
        records.set(event.task, record);
        // conductor writes the state and the attempts into the backlog with each transition
        const info = tasks.get(event.task);
        if (info) tasks.set(event.task, { ...info, status: event.to, attempts: event.record.attempt });
        break;
      }
      case 'session-start':
        sessionStarts.set(event.sessionId, event.at);
        break;
      case 'session-end':
        calls.push({ at: sessionStarts.get(event.sessionId) ?? event.at, ...(event.task !== undefined ? { taskId: event.task } : {}), ...pick(event, ['inputTokens', 'outputTokens', 'costUsd']) });
        break;
      default:
        break;
    }
  }
  const run = journal ? describeRun(journal, options.live === true) : null;
  if (tasks.size === 0) return { run, tasks: [] };
  const since = journal ? Date.parse(journal.startedAt) : -Infinity;
  const reads = new Map<string, StatusRead>([...records].map(([id, status]) => [id, { kind: 'ok', path: '', status }]));
  const backlog = { tasks: [...tasks.values()].map((t) => ({ id: t.id, title: t.title, status: t.status as TaskState, attempts: t.attempts })) };
  return { run, tasks: taskRows(backlog, reads, calls.filter((c) => !(Date.parse(c.at) < since)), options.now ?? new Date()) };
}

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out;
}
