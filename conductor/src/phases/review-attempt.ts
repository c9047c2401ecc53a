// Reviewing one verified attempt: a fresh reviewer sees only the task's
// acceptance criteria, the diff against the task's base (within its budget),
// the gate results with what failed in each, and what the scope check found.
// A reply with no usable verdict gets a new session told exactly what was
// wrong (review.formatRetries of them); after that the outcome says so, with
// the saved reply, and the caller leaves the task for a human: a reviewer's
// format problem is not the worker's fault. A rate limit (or Ctrl-C) ends the
// review at once and says so. The verdict is saved to tasks/<id>.review.json,
// with the keys conductor set aside.
import { join, relative } from 'node:path';
import { replyPathOf } from '../agents/session.js';
import type { Task } from '../backlog/types.js';
import { git } from '../git/git.js';
import { budgetDiff } from '../review/diff-budget.js';
import { parseVerdict, type Verdict } from '../review/verdict.js';
import { writeJsonAtomically } from '../state/atomic-write.js';
import { callRole, tasksDirOf, type PhaseContext } from './call-role.js';
import type { AttemptOutcome } from './task-attempt.js';

export const REVIEW_DIFF_BYTES = 24 * 1024;

export type ReviewOutcome =
  | { ok: true; verdict: Verdict; sessionId: string }
  | {
      ok: false;
      reason: string;
      /** The session was cut short: not a verdict on the work. */
      stopped?: 'quota' | 'cancelled';
      /** No session gave a usable verdict: where the last reply was saved (relative to the repository). */
      reply?: string;
    };

/** How much of a rejected reply the next reviewer is shown. */
const EXCERPT_CHARS = 600;

export async function reviewAttempt(ctx: PhaseContext, task: Task, attempt: number, work: AttemptOutcome, baselineFailures: ReadonlySet<string> = new Set()): Promise<ReviewOutcome> {
  const diff = budgetDiff(await git(work.worktree).raw(['diff', '--text', `${work.baseCommit}..HEAD`]), REVIEW_DIFF_BYTES);
  const data = {
    taskId: task.id,
    title: task.title,
    acceptance: task.acceptance,
    gates: work.gates.map((g) => ({ name: g.name, passed: g.passed, baselineFailed: baselineFailures.has(g.name), ...(g.passed ? {} : { tail: g.failures ?? '' }) })),
    flagged: work.scope?.flagged ?? [],
    outsideScope: work.scope?.outsideHint ?? [],
    diff: diff.text,
    diffNote: diff.note,
  };
  const sessions = 1 + ctx.config.review.formatRetries;
  let reason = '';
  let reply: string | undefined;
  let rejected: Record<string, unknown> | undefined;
  for (let session = 1; session <= sessions; session++) {
    const result = await callRole(ctx, 'reviewer', { ...data, ...(rejected ? { rejected } : {}) }, { attempt, taskId: task.id, task });
    if (result.exit === 'quota') return { ok: false, reason: `the reviewer hit a rate limit: ${result.detail ?? ''}`.trim(), stopped: 'quota' };
    if (result.exit === 'cancelled') return { ok: false, reason: `the reviewer session ended as cancelled${result.detail ? ` (${result.detail})` : ''}`, stopped: 'cancelled' };
    reply = relative(ctx.repoRoot, replyPathOf(result));
    const parsed = result.exit === 'ok' ? parseVerdict(result.finalMessage) : undefined;
    if (parsed?.ok) {
      const ignored = Object.keys(parsed.ignored).length ? { ignored: parsed.ignored } : {};
      await writeJsonAtomically(join(tasksDirOf(ctx), `${task.id}.review.json`), { ...parsed.verdict, ...ignored, attempt, session: result.sessionId, reply, reviewedAt: new Date().toISOString() });
      return { ok: true, verdict: parsed.verdict, sessionId: result.sessionId };
    }
    const problem = parsed ? parsed.reason : `the session ended as ${result.exit}${result.detail ? ` (${result.detail})` : ''}`;
    reason = parsed ? `the reviewer's reply was not a valid verdict: ${problem}` : `the reviewer ${problem}`;
    ctx.report(`review ${task.id}: ${reason} (reply saved in ${reply})${session < sessions ? '; asking a new session' : ''}`);
    // Never the same prompt twice: the next reviewer is told what was wrong with this reply.
    rejected = { session: session + 1, sessions, problem, excerpt: excerptOf(result.finalMessage) };
  }
  return { ok: false, reason, ...(reply ? { reply } : {}) };
}

function excerptOf(text: string): string {
  const trimmed = text.trim().replaceAll('```', "'''");
  return trimmed.length > EXCERPT_CHARS ? `${trimmed.slice(0, EXCERPT_CHARS)}…` : trimmed;
}
