// Where a task that stopped part-way picks up again on resume, decided from
// its status record: the review of the attempt it had committed, the rewrite
// of the task, or a new attempt — from the typed event that stopped it
// (next-step.ts), never from its note.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Task } from '../backlog/types.js';
import type { Verdict } from '../review/verdict.js';
import { resolvedPath } from '../state/portable-path.js';
import type { TaskStatus } from '../state/status-file.js';
import type { EventCause } from '../state/task-events.js';
import { nextStep } from './next-step.js';
import { tasksDirOf, type PhaseContext } from './call-role.js';
import type { AttemptOutcome } from './task-attempt.js';
import { notesOfReview } from './task-notes.js';

/** After this many failed attempts in a row, conductor rebases the task on its own (the guide's rule). */
export const AUTO_REBASE_AFTER = 2;

/** How the note of a task a rate limit interrupted starts (for humans; resume reads the event's cause). */
export const RATE_LIMITED = "rate-limited (not the task's fault)";
/** The note of a task whose worker or reviewer Ctrl-C stopped: the attempt is given back, as a crash's is. */
export const STOPPED = 'stopped by Ctrl-C; resume re-queues it';
export const STOPPED_IN_REVIEW = "stopped by Ctrl-C during its review; resume reviews the attempt's commit again";

export const REBASE_VERDICT = 'the reviewer asked for a rebase';

/**
 * Where a task a rate limit or Ctrl-C interrupted picks up again: the review of the attempt it had
 * committed (its reviewer was limited or stopped), or the rewrite of the task (the rebase agent was
 * limited). Undefined for a new attempt. Decided by nextStep from the record's last event.
 */
export function cutShortAt(task: Task, status: TaskStatus): { at: 'review' | 'rewrite'; by: string } | undefined {
  const next = nextStep(task, status, { merged: false });
  if (next.step === 'rewrite') return { at: 'rewrite', by: CUT_BY['rate-limit']! };
  if (next.step === 'review') return { at: 'review', by: CUT_BY[next.cause] ?? next.cause };
  return undefined;
}

/** What cut a review short, in the words of the report line. */
const CUT_BY: Partial<Record<EventCause, string>> = { 'ctrl-c': 'Ctrl-C', 'no-verdict': 'a reviewer that gave no usable verdict', 'rate-limit': 'a rate limit' };

/** What the rewrite a rate limit stopped was given, rebuilt from the task's records: the saved verdict, or the last two failures. */
export async function rewriteToRetry(ctx: PhaseContext, task: Task, status: TaskStatus): Promise<{ why: string; reviewNotes: string; lessons: string[]; work?: Pick<AttemptOutcome, 'worktree' | 'baseCommit' | 'gates'> }> {
  // The rejected attempt's worktree was kept for the diffstat (and is removed, salvaged, by the rewrite).
  const worktree = status.worktree === undefined ? undefined : resolvedPath(ctx.repoRoot, status.worktree);
  const work = worktree && status.baseCommit && existsSync(join(worktree, '.git')) ? { worktree, baseCommit: status.baseCommit, gates: [] } : undefined;
  const saved = await readFile(join(tasksDirOf(ctx), `${task.id}.review.json`), 'utf8').then((text) => JSON.parse(text) as Verdict & { attempt?: number }, () => undefined);
  if (saved?.verdict === 'rebase' && saved.attempt === status.attempt && Array.isArray(saved.required_changes)) {
    return { why: REBASE_VERDICT, reviewNotes: notesOfReview(saved), lessons: [...saved.required_changes, ...(saved.negative_evidence ?? [])], ...(work ? { work } : {}) };
  }
  const failures = status.history.filter((h) => h.to === 'failed' || h.to === 'conflict').slice(-AUTO_REBASE_AFTER);
  return { why: `${AUTO_REBASE_AFTER} failed attempts in a row`, reviewNotes: failures.map((h, i) => `attempt ${status.attempt - (failures.length - 1 - i)}: ${h.note ?? h.to}`).join('\n'), lessons: [] };
}
