// .conductor/events.jsonl: the run as a stream of typed, timestamped events
// (docs/events.md, conductor/schemas/events.schema.json), appended from the
// few places state changes — the run journal, a task's transitions, agent
// sessions, gates, reviews, merges — and read by `conductor events` and the
// dashboard (`conductor ui`). Append-only, one whole line per event; the file
// moves to .conductor/runs/<id>/ with the rest of the run when the next starts.
import { join } from 'node:path';
import { schemaErrors } from '../schema/validators.js';
import { appendJsonLine, readJsonLines } from '../state/json-lines.js';
import type { RunJournal } from '../state/run-journal.js';
import type { EventCause, EventKind, Stage } from '../state/task-events.js';

/** The format's version: fields are only ever added within one version. */
export const EVENTS_VERSION = 1;

export interface BacklogTaskInfo {
  id: string;
  title: string;
  depends_on: string[];
  status: string;
  attempts: number;
}

/** What each event says, by type; every line also has `v` and `at`. */
export type EventBody =
  | { type: 'run'; journal: RunJournal }
  | { type: 'phase'; phase: RunJournal['phase'] }
  | { type: 'checkpoint'; checkpoint: 'plan' | 'backlog' }
  /** The tasks as implementation starts; `partial`: only these tasks changed (a task rewritten by the rebase agent). */
  | { type: 'backlog'; feature?: string; tasks: BacklogTaskInfo[]; partial?: boolean }
  | {
      type: 'task';
      task: string;
      from?: string;
      to: string;
      kind?: EventKind;
      cause?: EventCause;
      stage?: Stage;
      /** The attempt the change belongs to. */
      attempt: number;
      note?: string;
      /** The task's record after the change: its attempt count and times. */
      record: { attempt: number; startedAt?: string; endedAt?: string };
    }
  | { type: 'attempt'; task: string; attempt: number; worker?: { id: string; host: string } }
  | { type: 'session-start'; sessionId: string; role: string; task?: string; attempt: number; provider: string; model?: string; log: string }
  | { type: 'session-end'; sessionId: string; role: string; task?: string; attempt: number; exit: string; durationMs: number; inputTokens?: number; outputTokens?: number; costUsd?: number; detail?: string }
  | { type: 'gates-start'; task: string; attempt: number }
  | { type: 'gate-result'; task: string; attempt: number; name: string; passed: boolean; durationMs: number; exitCode?: number | null; log?: string }
  | { type: 'review'; task: string; attempt: number; verdict: 'approve' | 'changes' | 'rebase'; summary: string }
  | { type: 'merge'; task: string; attempt: number; ok: boolean; into: string; conflicts?: string[]; detail?: string }
  | { type: 'warning'; message: string; task?: string };

export type ConductorEvent = EventBody & { v: typeof EVENTS_VERSION; at: string };
export type EventType = EventBody['type'];

export function eventsPath(conductorDir: string): string {
  return join(conductorDir, 'events.jsonl');
}

/** Append one event to the run's stream. */
export async function emitEvent(conductorDir: string, body: EventBody, now: Date = new Date()): Promise<void> {
  // Not fsynced: a crash loses at most the last event, and the records it describes are durable on their own.
  await appendJsonLine(eventsPath(conductorDir), { v: EVENTS_VERSION, at: now.toISOString(), ...body }, { sync: false });
}

export interface EventsRead {
  events: ConductorEvent[];
  /** Lines that are not events (a torn last line, a newer version's unknown shape), 1-based, with the reason. */
  skipped: { line: number; reason: string }[];
}

/** The events of a stream file; a missing file has none. */
export async function readEvents(path: string): Promise<EventsRead> {
  const { records, skipped } = await readJsonLines(path);
  const events: ConductorEvent[] = [];
  records.forEach((record, index) => {
    if (isEvent(record)) events.push(record);
    else skipped.push({ line: index + 1, reason: `not a version-${EVENTS_VERSION} event (conductor/schemas/events.schema.json)` });
  });
  return { events, skipped };
}

/** Is `value` an event this conductor can read: valid against conductor/schemas/events.schema.json? */
export function isEvent(value: unknown): value is ConductorEvent {
  return schemaErrors('events', value).length === 0;
}
