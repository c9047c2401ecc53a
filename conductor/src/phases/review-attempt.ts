// Reviewing one verified attempt: a fresh reviewer sees only the task's
// acceptance criteria, the diff against the task's base (within its budget),
// the gate results with what failed in each, and what the scope check found.
// Its JSON verdict is validated; an unparseable reply gets one new session, a
// second is a failed attempt. A rate limit (or Ctrl-C) ends the review at once
// and says so: it is not the attempt's fault. The verdict is saved to
// tasks/<id>.review.json.
import { join } from 'node:path';
import type { Task } from '../backlog/types.js';
import { git } from '../git/git.js';
import { budgetDiff } from '../review/diff-budget.js';
import { parseVerdict, type Verdict } from '../review/verdict.js';
import { writeJsonAtomically } from '../state/atomic-write.js';
import { callRole, tasksDirOf, type PhaseContext } from './call-role.js';
import type { AttemptOutcome } from './task-attempt.js';

export const REVIEW_DIFF_BYTES = 24 * 1024;

export type ReviewOutcome = { ok: true; verdict: Verdict; sessionId: string } | { ok: false; reason: string; /** The session was cut short: not a verdict on the work. */ stopped?: 'quota' | 'cancelled' };

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
  let reason = '';
  for (const session of [1, 2]) {
    const result = await callRole(ctx, 'reviewer', data, { attempt, taskId: task.id, task });
    if (result.exit !== 'ok') {
      if (result.exit === 'quota') return { ok: false, reason: `the reviewer hit a rate limit: ${result.detail ?? ''}`.trim(), stopped: 'quota' };
      reason = `the reviewer session ended as ${result.exit}${result.detail ? ` (${result.detail})` : ''}`;
      if (result.exit === 'cancelled') return { ok: false, reason, stopped: 'cancelled' };
      continue;
    }
    const parsed = parseVerdict(result.finalMessage);
    if (parsed.ok) {
      await writeJsonAtomically(join(tasksDirOf(ctx), `${task.id}.review.json`), { ...parsed.verdict, attempt, session: result.sessionId, reviewedAt: new Date().toISOString() });
      return { ok: true, verdict: parsed.verdict, sessionId: result.sessionId };
    }
    reason = `the reviewer's reply was not a valid verdict: ${parsed.reason}`;
    ctx.report(`review ${task.id}: ${reason}${session === 1 ? '; asking a new session' : ''}`);
  }
  return { ok: false, reason };
}
