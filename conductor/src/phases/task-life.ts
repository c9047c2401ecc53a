// One task's life in a run (phases 3 and 4 for one task): attempts (worker,
// gates, review) until it merges or its attempts are used up, every
// transition persisted first. A failed attempt's lessons go to the next; after
// AUTO_REBASE_AFTER failures in a row, or a rebase verdict, the task is
// rewritten. A rate limit or Ctrl-C leaves it interrupted with the attempt
// given back, and resume takes it up where it stopped. With the distributed
// executor, the attempt itself runs on a worker (executor/coordinator.ts).
import type { Task, TaskState } from '../backlog/types.js';
import { gateEvidence, newlyFailing, runGates } from '../gates/run-gates.js';
import type { MergeCheck, MergeQueue } from '../git/merge-queue.js';
import { NO_VERDICT } from '../review/no-verdict.js';
import type { WorktreeManager } from '../git/worktrees.js';
import { writeTaskStatus, type TaskStatus } from '../state/status-file.js';
import type { EventInput, Stage } from '../state/task-events.js';
import { recordTransition, taskFiles } from '../state/task-record.js';
import { taskCapReached } from './budget-guard.js';
import { loadStatus } from './recover-in-flight.js';
import type { PhaseContext } from './call-role.js';
import { rebaseTask } from './rebase-task.js';
import { AUTO_REBASE_AFTER, cutShortAt, RATE_LIMITED, REBASE_VERDICT, rewriteToRetry, STOPPED, STOPPED_IN_REVIEW } from './resume-point.js';
import { appendNotes, diffstat, notesOfReview, writeNotes } from './task-notes.js';
import { reviewAttempt } from './review-attempt.js';
import { recheckAttempt, runTaskAttempt, type AttemptOutcome } from './task-attempt.js';
import { attemptPatch, emitGateResults, setupTime } from './attempt-record.js';
import { preparedGates } from './prepared-gates.js';
import { emitEvent, type BacklogTaskInfo } from '../events/event-log.js';
import { runRemoteAttempt, type Executor, type RemoteRecord } from '../executor/coordinator.js';

export const taskInfo = (t: Task): BacklogTaskInfo => ({ id: t.id, title: t.title, depends_on: t.depends_on, status: t.status, attempts: t.attempts });

/** What a task's life shares with the run around it. */
export interface Run {
  ctx: PhaseContext;
  files: ReturnType<typeof taskFiles>;
  integrationBranch: string;
  worktrees: WorktreeManager;
  merges: MergeQueue;
  gates: NonNullable<PhaseContext['config']['gates']>;
  baselineFailures: ReadonlySet<string>;
  /** Attempts run on remote workers (the distributed executor), when configured. */
  executor?: Executor;
  onQuota: (why: string) => void;
  /** conductor merged this task: it is done by its own record. */
  merged: (taskId: string) => void;
  /** The gates on the integration tree after a merge, when `gates_after_merge` is set. */
  afterMergeCheck: (taskId: string, attempt: number) => MergeCheck | undefined;
  /** A merge changed the integration tree: the repo map follows. */
  mergedTree: () => void;
}

export async function runTask(run: Run, initialTask: Task, signal: AbortSignal): Promise<void> {
  const { files } = run;
  // The task's own signal: the run's Ctrl-C, or a human who set it to skipped or blocked.
  const ctx: PhaseContext = { ...run.ctx, signal };
  let task = initialTask;
  let status = await loadStatus(ctx, task);
  /** What the next worker gets besides its context: review notes or gate failures, one line each. */
  let notes: string[] = [];
  let lastReason = '';
  let failedInARow = 0;
  const tried: string[] = [];
  const move = async (to: TaskState, patch: Partial<TaskStatus> = {}, note?: string, event?: EventInput) => {
    status = (await recordTransition(files, status, to, patch, note, event)).status;
  };
  /** A rate limit is not the task's fault: new starts pause and the task waits, interrupted, for resume (cutShortAt reads the event's stage). */
  const rateLimited = async (reason: string, patch: Partial<TaskStatus>, stage: Stage, onResume?: string) => {
    run.onQuota(`${task.id}: ${reason}`);
    await move('interrupted', { ...patch, pid: undefined }, `${RATE_LIMITED}: ${reason}${onResume ? `; ${onResume}` : ''}`, { cause: 'rate-limit', stage });
  };
  const failed = async (reason: string, lessons: readonly string[], patch: Partial<TaskStatus>, cause: NonNullable<EventInput['cause']>, data?: EventInput['data']) => {
    lastReason = reason;
    notes = [...lessons];
    failedInARow++;
    tried.push(`attempt ${attempt}: ${reason}`);
    await move('failed', { ...patch, pid: undefined }, reason, { cause, ...(data ? { data } : {}) });
    ctx.report(`implement: ${task.id} attempt ${attempt} failed: ${reason}`);
  };
  /**
   * Throw the attempt's code away (salvaged first) and have the rebase agent rewrite the task.
   * True when a rate limit stopped the rewrite: the task is interrupted, its worktree kept, and resume rewrites it.
   */
  const rebase = async (why: string, work: Pick<AttemptOutcome, 'worktree' | 'baseCommit' | 'gates'> | undefined, reviewNotes: string): Promise<boolean> => {
    const rewritten = await rebaseTask(ctx, {
      task,
      attempt,
      backlogPath: files.backlogPath,
      diffstat: work ? await diffstat(work) : '',
      gateTails: (work?.gates ?? []).filter((g) => !g.passed).map((g) => `${g.name}:\n${g.failures ?? ''}`).join('\n\n'),
      reviewNotes,
      negativeEvidence: notes,
    });
    if (!rewritten.ok && rewritten.stopped === 'quota') {
      await appendNotes(ctx, task.id, [`## Rebase after attempt ${attempt} (${why})`, '', `The rebase agent hit a rate limit (${rewritten.reason}); new starts are paused, and the task is rewritten when the run is resumed.`]);
      await rateLimited(rewritten.reason, {}, 'rewrite', 'the task is rewritten on resume');
      return true;
    }
    await run.worktrees.removeTask(task.id, run.integrationBranch);
    failedInARow = 0;
    if (rewritten.ok) {
      task = rewritten.task;
      await emitEvent(ctx.conductorDir, { type: 'backlog', tasks: [taskInfo(task)], partial: true });
      notes = []; // the lessons now live in the task's own negative evidence
      tried.push(`rebased after attempt ${attempt} (${why})`);
      await appendNotes(ctx, task.id, [`## Rebase after attempt ${attempt} (${why})`, '', `The task was rewritten in tasks/BACKLOG.yaml${rewritten.why ? `: ${rewritten.why}` : ''}; it is regenerated from scratch.`, '', 'Negative evidence now in the task:', ...task.context.negative_evidence.map((l) => `- ${l}`)]);
      ctx.report(`implement: ${task.id} rebased (${why}); the task was rewritten and starts again from scratch`);
    } else {
      tried.push(`rebase after attempt ${attempt} failed: ${rewritten.reason}`);
      await appendNotes(ctx, task.id, [`## Rebase after attempt ${attempt} (${why})`, '', `The rebase agent gave no usable task (${rewritten.reason}); the task starts again from scratch with the negative evidence.`]);
    }
    return false;
  };
  let attempt = Math.max(task.attempts, status.attempt);
  /** Where a rate limit stopped this task last time, if that is where it picks up again. */
  const cut = cutShortAt(task, status);
  let resumeAt = cut?.at;
  while (attempt < ctx.config.attempts) {
    const capped = await taskCapReached(ctx, task.id);
    if (capped) return move('blocked', { pid: undefined, endedAt: new Date().toISOString() }, capped, { cause: 'cost-cap' });
    if (resumeAt === 'rewrite' || failedInARow >= AUTO_REBASE_AFTER) {
      const retry = resumeAt === 'rewrite' ? await rewriteToRetry(ctx, task, status) : undefined;
      resumeAt = undefined;
      if (retry) notes = retry.lessons;
      if (await rebase(retry?.why ?? `${AUTO_REBASE_AFTER} failed attempts in a row`, retry?.work, retry?.reviewNotes ?? tried.slice(-AUTO_REBASE_AFTER).join('\n'))) return;
      if (ctx.signal?.aborted) return move('interrupted', {}, STOPPED, { cause: 'ctrl-c', stage: 'attempt' });
    }
    attempt++;
    if (status.status !== 'ready') await move('ready');
    /** The worker an attempt cut short in review ran on: its commit is reviewed again without running its gates here. */
    const ranOn = resumeAt === 'review' ? status.worker : undefined;
    await move('running', { attempt, startedAt: new Date().toISOString(), pid: process.pid, worker: ranOn });
    // A remote attempt's event waits for the worker that takes it, so it says where the attempt runs.
    let attemptSaid = false;
    if (!run.executor) await emitEvent(ctx.conductorDir, { type: 'attempt', task: task.id, attempt });
    const onGates = async () => {
      await move('verifying');
      await emitEvent(ctx.conductorDir, { type: 'gates-start', task: task.id, attempt });
    };
    const input = { task, attempt, integrationBranch: run.integrationBranch, worktrees: run.worktrees, gates: run.gates, baselineFailures: run.baselineFailures, ...(notes.length ? { notes: notes.map((line) => `- ${line}`).join('\n') } : {}), onGates };
    // The review a rate limit or Ctrl-C cut short is done again on the attempt's commit, not on new work.
    const again = resumeAt === 'review' ? await recheckAttempt(ctx, run.executor && ranOn ? { ...input, gatesRanOnWorker: status.verification?.gates ?? [] } : input) : undefined;
    if (again) ctx.report(`implement: ${task.id} attempt ${attempt}: its review was cut short by ${cut?.by ?? 'a rate limit'}; its commit is checked and reviewed again`);
    resumeAt = undefined;
    const remote: RemoteRecord = {
      held: () => status.remote,
      hold: async (hold) => {
        status = { ...status, remote: hold };
        await writeTaskStatus(files.tasksDir, status);
      },
      takenBy: async (worker) => {
        status = { ...status, worker };
        await writeTaskStatus(files.tasksDir, status);
        if (!attemptSaid) await emitEvent(ctx.conductorDir, { type: 'attempt', task: task.id, attempt, worker });
        attemptSaid = true;
      },
    };
    const work = again ?? (run.executor ? await runRemoteAttempt(ctx, input, run.executor, remote) : await runTaskAttempt(ctx, input));
    if (run.executor && !attemptSaid) await emitEvent(ctx.conductorDir, { type: 'attempt', task: task.id, attempt });
    await writeNotes(ctx, task.id, attempt, work, again !== undefined);
    await emitGateResults(ctx.conductorDir, task.id, attempt, work.gates);
    const patch = attemptPatch(ctx.repoRoot, work);
    if (work.result === 'cancelled') return move('interrupted', { ...patch, pid: undefined, attempt: attempt - 1 }, STOPPED, { cause: 'ctrl-c', stage: 'attempt' });
    if (work.result === 'quota') return rateLimited(work.reason ?? 'rate limit', { ...patch, attempt: attempt - 1 }, 'attempt');
    if (work.result === 'blocked') return move('blocked', { ...patch, ...(work.setupError ? { attempt: attempt - 1 } : {}), pid: undefined, endedAt: new Date().toISOString() }, work.reason, { cause: work.setupError ? 'setup-error' : 'worker-blocked' });
    if (work.result === 'failed') {
      await failed(work.reason ?? 'failed', work.negativeEvidence, patch, work.gates.some((g) => !g.passed) ? 'gates' : 'worker', setupTime(work));
      if (work.discard) await run.worktrees.removeTask(task.id, run.integrationBranch); // salvaged first
      continue;
    }
    // Verifying since the gates started; an attempt whose gates wait for the reviewer (flagged changes) passes through it here.
    if (status.status !== 'verifying') await move('verifying', patch);
    const timed = setupTime(work);
    await move('review', patch, undefined, timed ? { data: timed } : undefined);
    const review = await reviewAttempt(ctx, task, attempt, work, run.baselineFailures);
    if (ctx.signal?.aborted) return move('interrupted', { pid: undefined, attempt: attempt - 1 }, STOPPED_IN_REVIEW, { cause: 'ctrl-c', stage: 'review' });
    if (!review.ok && review.stopped === 'quota') {
      // Not the work's fault: the attempt is given back and its commit, kept in the worktree, is reviewed on resume.
      await appendNotes(ctx, task.id, [`## Review of attempt ${attempt}: cut short`, '', `The reviewer hit a rate limit (${review.reason}); new starts are paused, and this attempt's commit is reviewed again when the run is resumed.`]);
      return rateLimited(review.reason, { attempt: attempt - 1 }, 'review', `attempt ${attempt}'s commit is reviewed again on resume`);
    }
    if (!review.ok) {
      // A reviewer's format problem is not the worker's fault: the task waits in review, its attempt uncounted, and resume reviews its commit again.
      const left = `${NO_VERDICT} after ${1 + ctx.config.review.formatRetries} sessions (last reply saved in ${review.reply ?? 'no file'}): ${review.reason}`;
      await appendNotes(ctx, task.id, [`## Review of attempt ${attempt}: ${NO_VERDICT}`, '', `${left}.`, '', `The attempt is not held against the worker; its commit stays on ${work.branch}. Read the reply, then run conductor resume (or conductor implement) to have a new reviewer look at that commit, or set the task's status in tasks/BACKLOG.yaml by hand.`]);
      ctx.report(`implement: ${task.id} attempt ${attempt}: ${left}; the task waits in review for you`);
      return move('review', { pid: undefined }, left, { kind: 'waiting', cause: 'no-verdict' });
    }
    const verdict = review.verdict;
    await emitEvent(ctx.conductorDir, { type: 'review', task: task.id, attempt, verdict: verdict.verdict, summary: verdict.summary });
    const reviewed = { review: { verdict: verdict.verdict, summary: verdict.summary } };
    if (verdict.verdict === 'approve' && work.scope?.flagged.length) {
      // The reviewer approved changes to CI, hooks or agent settings: only now may the gates run them.
      const gated = await runGates(run.gates, (await preparedGates(ctx, work.worktree, true, task.id, `attempt-${attempt}-approved`)).options);
      const failing = newlyFailing(gated, run.baselineFailures);
      if (failing.length > 0) {
        await failed(`gates failed after approval: ${failing.map((g) => g.name).join(', ')}`, failing.map((gate) => gateEvidence(gate, attempt)), reviewed, 'gates-after-approval');
        continue;
      }
    }
    if (verdict.verdict === 'approve') {
      await move('merging', reviewed);
      const merged = await run.merges.merge(work.branch, `Merge ${task.id}: ${task.title}`, run.afterMergeCheck(task.id, attempt));
      await emitEvent(ctx.conductorDir, { type: 'merge', task: task.id, attempt, ok: merged.ok, into: run.integrationBranch, ...(merged.ok ? {} : merged.kind === 'check' ? { detail: merged.detail } : { conflicts: merged.conflicts }) });
      if (merged.ok) {
        run.merged(task.id);
        await move('done', { pid: undefined, endedAt: new Date().toISOString() }, `merged into ${run.integrationBranch}`, { cause: 'merge' });
        ctx.report(`implement: ${task.id} merged into ${run.integrationBranch} (attempt ${attempt})`);
        await run.worktrees.removeTask(task.id, run.integrationBranch).catch((error: unknown) => ctx.report(`implement: could not remove the worktree ${run.worktrees.placeOf(run.worktrees.naming.taskDir(task.id))}: ${(error as Error).message}`));
        run.mergedTree();
        return;
      }
      if (merged.kind === 'check') {
        await failed(`gates failed after merging into ${run.integrationBranch}: ${merged.detail}; the merge was undone`, merged.evidence, {}, 'gates-after-merge');
      } else {
        // Not the worker's fault: regenerated from the new tip, told which files collided.
        lastReason = `merge conflict in ${merged.conflicts.join(', ') || 'the merge'}`;
        notes = [`attempt ${attempt}: merging hit a conflict in ${merged.conflicts.join(', ') || 'the merge'}; start from the current integration code`];
        tried.push(`attempt ${attempt}: ${lastReason}`);
        await move('conflict', { pid: undefined }, lastReason, { cause: 'merge-conflict' });
        ctx.report(`implement: ${task.id} ${lastReason}; regenerating it from the new integration tip`);
      }
      await run.worktrees.removeTask(task.id, run.integrationBranch); // regenerated from the new tip; work saved to a salvage ref
      continue;
    }
    const reviewNotes = notesOfReview(verdict);
    await appendNotes(ctx, task.id, [`## Review of attempt ${attempt}: ${verdict.verdict}`, '', verdict.summary, ...(verdict.required_changes.length ? ['', 'Required changes:', ...verdict.required_changes.map((l) => `- ${l}`)] : []), ...(verdict.negative_evidence.length ? ['', 'Negative evidence:', ...verdict.negative_evidence.map((l) => `- ${l}`)] : [])]);
    // changes: a fresh worker in the same worktree gets the required changes.
    await failed(`review asked for ${verdict.verdict}: ${verdict.summary}`, [...verdict.required_changes, ...verdict.negative_evidence], reviewed, verdict.verdict === 'rebase' ? 'review-rebase' : 'review-changes');
    if (verdict.verdict === 'rebase' && attempt < ctx.config.attempts && (await rebase(REBASE_VERDICT, work, reviewNotes))) return;
  }
  await move('blocked', { pid: undefined, endedAt: new Date().toISOString() }, `attempts used up (${ctx.config.attempts}); last: ${lastReason}; see tasks/${task.id}.notes.md`, { cause: 'attempts-used-up' });
  ctx.report(`implement: ${task.id} blocked: attempts used up (${ctx.config.attempts}); see tasks/${task.id}.notes.md`);
  await appendNotes(ctx, task.id, ['## Blocked', '', `All ${ctx.config.attempts} attempts are used up. What was tried:`, ...tried.map((l) => `- ${l}`), '', `To try again: conductor retry ${task.id} (edit the task in tasks/BACKLOG.yaml first if it needs it), then conductor resume.`]);
}
