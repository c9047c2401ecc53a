// The typed events of a task's status history (#15 item 11). Every state
// change records what kind of change it was, the attempt it belongs to and a
// cause code; resume, `status` and `report` decide from these, never from the
// note, which is prose for humans and may be reworded freely. Status files
// written before events existed have history entries with a note only: those
// are read once, here, into the same events (eventOf), so nothing else ever
// looks at note wording.

/** What happened to the task. */
export const EVENT_KINDS = ['created', 'progress', 'merged', 'failed', 'conflict', 'stopped', 'waiting', 'blocked', 'human'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Why it happened: a closed set of codes, one meaning each. */
export const EVENT_CAUSES = [
  // merged
  'merge', 'merge-found-on-resume',
  // failed
  'worker', 'gates', 'gates-after-approval', 'gates-after-merge', 'review-changes', 'review-rebase',
  // conflict
  'merge-conflict',
  // stopped (the task is interrupted and given back its attempt)
  'rate-limit', 'ctrl-c', 'crash', 'no-verdict',
  // blocked
  'attempts-used-up', 'cost-cap', 'worker-blocked', 'setup-error',
  // human: a person's edit of tasks/BACKLOG.yaml (or `conductor retry`), as conductor took it
  'stopped-by-hand', // a running task set to skipped or blocked: its worker was stopped
  'set-by-hand', // a task not running set to skipped or blocked
  'retried-by-hand', // `conductor retry`: back to pending with 0 attempts
  'stale-save-ignored', // a save that set a merged task back: conductor's record (done) kept
] as const;
export type EventCause = (typeof EVENT_CAUSES)[number];

/** Where a stopped task was when it stopped: what resume takes up again. */
export type Stage = 'attempt' | 'review' | 'rewrite';

export interface TaskEvent {
  at: string;
  from?: string;
  to: string;
  kind?: EventKind;
  /** The attempt the event belongs to (the one that ran, failed or was cut short). */
  attempt?: number;
  cause?: EventCause;
  data?: { stage?: Stage; [key: string]: string | number | boolean | undefined };
  note?: string;
}

/** What a caller says about a change: the kind is derived from the target state unless given. */
export interface EventInput {
  kind?: EventKind;
  cause?: EventCause;
  stage?: Stage;
  data?: Record<string, string | number | boolean>;
}

const KIND_OF_STATE: Partial<Record<string, EventKind>> = { done: 'merged', failed: 'failed', conflict: 'conflict', interrupted: 'stopped', blocked: 'blocked' };

/** The kind a change to `to` has when the caller names none. */
export function defaultKind(to: string): EventKind {
  return KIND_OF_STATE[to] ?? 'progress';
}

// The notes conductor wrote before events existed, as they were worded then. Read for old files only.
const LEGACY = {
  rateLimited: "rate-limited (not the task's fault)",
  stopped: 'stopped by Ctrl-C; resume re-queues it',
  stoppedInReview: "stopped by Ctrl-C during its review; resume reviews the attempt's commit again",
  noVerdict: 'no usable verdict from the reviewer',
  reviewAgain: "left in review without a verdict; resume reviews the attempt's commit again",
  crash: 'conductor stopped while this task was in flight',
  costCap: 'cost cap:',
  usedUp: 'attempts used up',
};

/** An entry as an event: typed entries as written, an old entry's kind and cause read from its note. */
export function eventOf(entry: TaskEvent): TaskEvent {
  if (entry.kind !== undefined) return entry;
  const note = entry.note ?? '';
  const typed = (kind: EventKind, cause?: EventCause, stage?: Stage): TaskEvent => ({ ...entry, kind, ...(cause ? { cause } : {}), ...(stage ? { data: { stage } } : {}) });
  if (entry.from === undefined && entry.to === 'pending') return typed('created');
  if (entry.to === 'interrupted') {
    if (note === LEGACY.stoppedInReview) return typed('stopped', 'ctrl-c', 'review');
    if (note === LEGACY.reviewAgain) return typed('stopped', 'no-verdict', 'review');
    if (note === LEGACY.stopped) return typed('stopped', 'ctrl-c', 'attempt');
    if (note === LEGACY.crash) return typed('stopped', 'crash', 'attempt');
    if (note.startsWith(LEGACY.rateLimited)) return typed('stopped', 'rate-limit', entry.from === 'review' ? 'review' : entry.from === 'failed' ? 'rewrite' : 'attempt');
    return typed('stopped');
  }
  if (entry.to === 'review' && note.startsWith(LEGACY.noVerdict)) return typed('waiting', 'no-verdict');
  if (entry.to === 'blocked') return typed('blocked', note.startsWith(LEGACY.costCap) ? 'cost-cap' : note.startsWith(LEGACY.usedUp) ? 'attempts-used-up' : undefined);
  if (entry.to === 'done') return typed('merged', note.endsWith('(found on resume)') ? 'merge-found-on-resume' : 'merge');
  if (entry.to === 'conflict') return typed('conflict', 'merge-conflict');
  return typed(defaultKind(entry.to));
}

/** The last event of a history, typed. */
export function lastEvent(history: readonly TaskEvent[]): TaskEvent | undefined {
  const last = history.at(-1);
  return last === undefined ? undefined : eventOf(last);
}
