// What happens next to one task, decided from its status record (typed
// events), its backlog entry (where a human's state edit shows) and what git
// shows: one pure function, so resume, recovery and `status` agree and the
// decision is tested on literal cases (test/next-step.test.ts).
import type { Task } from '../backlog/types.js';
import type { TaskStatus } from '../state/status-file.js';
import { lastEvent, type EventCause } from '../state/task-events.js';

export interface GitView {
  /** The task's branch is already in the integration branch. */
  merged: boolean;
}

export type NextStep =
  /** Done, skipped or blocked: nothing runs without a human. */
  | { step: 'none' }
  /** Left merging by a crash, its merge already made: recorded done, never merged again. */
  | { step: 'record-merge' }
  /** Left in flight by a crash (no conductor runs it): interrupted, its attempt given back, then taken up at `then`. */
  | { step: 'recover'; cause: 'crash' | 'no-verdict'; then: 'attempt' | 'review' }
  /** Waits in review for a human: no reviewer gave a usable verdict, and no conductor is running it. */
  | { step: 'wait-for-human' }
  /** The commit of the attempt that was cut short is checked and reviewed again; no new worker. */
  | { step: 'review'; cause: EventCause }
  /** The rewrite of the task (a rebase) that a rate limit stopped is done again. */
  | { step: 'rewrite' }
  /** A new attempt. */
  | { step: 'attempt' };

const IN_FLIGHT = new Set(['running', 'verifying', 'review', 'merging']);

/**
 * `task.status` is the backlog's (a human's edit wins over the record); `record` the task's status file.
 * `resuming`: a conductor is taking the run up now (it recovers what a crash left in flight); otherwise the
 * question is asked by an onlooker such as `conductor status`, to whom a task in review with no verdict and no
 * process waits for a human.
 */
export function nextStep(task: Pick<Task, 'status'>, record: TaskStatus | undefined, git: GitView, resuming = true): NextStep {
  const state = task.status;
  if (state === 'done' || state === 'skipped' || state === 'blocked') return { step: 'none' };
  const last = record ? lastEvent(record.history) : undefined;
  if (IN_FLIGHT.has(state)) {
    if (state === 'merging' && git.merged) return { step: 'record-merge' };
    const waiting = state === 'review' && last?.to === 'review' && last.kind === 'waiting' && last.cause === 'no-verdict';
    if (waiting && !resuming && record?.pid === undefined) return { step: 'wait-for-human' };
    return waiting ? { step: 'recover', cause: 'no-verdict', then: 'review' } : { step: 'recover', cause: 'crash', then: 'attempt' };
  }
  // Only the record's own stop is taken up where it stopped: a human who changed the state since asked for a new attempt.
  if (state !== 'interrupted' || last?.to !== 'interrupted' || last.kind !== 'stopped') return { step: 'attempt' };
  const stage = last.data?.stage;
  if (stage === 'review' && (last.cause === 'ctrl-c' || last.cause === 'no-verdict' || last.cause === 'rate-limit')) return { step: 'review', cause: last.cause };
  if (stage === 'rewrite' && last.cause === 'rate-limit') return { step: 'rewrite' };
  return { step: 'attempt' };
}
