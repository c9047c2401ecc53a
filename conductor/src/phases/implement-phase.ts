// Phases 3 and 4 over the live backlog: a dynamic ready queue (decideStarts)
// re-read before every decision, each task through attempts (worker, gates,
// review) until it merges or its attempts are used up, every transition
// persisted first. Tasks a crash left "in flight" are re-queued as
// interrupted; the integration branch only moves through the merge queue.
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConductorError } from '../errors.js';
import { formatProblem, type Problem } from '../problems.js';
import type { Backlog, Task, TaskState } from '../backlog/types.js';
import { validateBacklogFile } from '../backlog/validate-backlog.js';
import { detectGates } from '../gates/detect-gates.js';
import { gateEvidence, newlyFailing, runGates } from '../gates/run-gates.js';
import { MergeQueue } from '../git/merge-queue.js';
import { isContainedIn } from '../git/git.js';
import { WorktreeManager } from '../git/worktrees.js';
import { decideStarts } from '../scheduler/decide-starts.js';
import { newTaskStatus, readTaskStatus, type TaskStatus } from '../state/status-file.js';
import { recordTransition, taskFiles } from '../state/task-record.js';
import { gateOptions, type PhaseContext } from './call-role.js';
import { reviewAttempt } from './review-attempt.js';
import { runTaskAttempt, type AttemptOutcome } from './task-attempt.js';

export interface ImplementOptions {
  only?: ReadonlySet<string>;
  allowFailingBaseline: boolean;
  concurrency: number;
  /** Where the integration branch starts when it does not exist yet. */
  baseRef: string;
  /** What the user runs to try again, for messages (default: conductor implement). */
  rerunCommand?: string;
}

export interface ImplementSummary {
  integrationBranch: string;
  states: Record<string, TaskState>;
  /** Set when new starts stopped because an agent hit a rate limit. */
  quotaPause?: string;
}

const IN_FLIGHT: ReadonlySet<TaskState> = new Set(['ready', 'running', 'verifying', 'review', 'merging']);

export async function runImplementPhase(ctx: PhaseContext, options: ImplementOptions): Promise<ImplementSummary> {
  const files = taskFiles(ctx.repoRoot);
  const initial = await readBacklog(ctx, files.backlogPath);
  const rerun = options.rerunCommand ?? 'conductor implement';
  if (!initial.backlog) throw new ConductorError('BACKLOG_INVALID', 'tasks/BACKLOG.yaml is not valid; nothing was changed', { problems: initial.problems, hint: `fix it, then run ${rerun} again` });
  const integrationBranch = `conductor/${initial.backlog.feature}`;
  const worktrees = new WorktreeManager(ctx.repoRoot);
  const integration = await worktrees.ensureIntegration(initial.backlog.feature, options.baseRef);
  const gates = ctx.config.gates ?? detectGates(integration.path).gates;
  const merges = new MergeQueue(integration.path);
  if (await merges.abortHalfDoneMerge()) ctx.report('implement: aborted a merge a crash left half-done');

  // The broken-feedback-loop check: gates that already fail on the base are not a worker's fault.
  const baseline = await runGates(gates, gateOptions(ctx, integration.path, '_baseline'));
  const baselineFailures = new Set(baseline.filter((g) => !g.passed).map((g) => g.name));
  if (baselineFailures.size > 0 && !options.allowFailingBaseline) {
    throw new ConductorError('PHASE_FAILED', `the base already fails its gates: ${[...baselineFailures].join(', ')}`, { hint: 'fix the base first, or pass --allow-failing-baseline to record these failures and not blame workers for them' });
  }

  // Tasks a crashed run left in flight start again, in a fresh session — except one whose
  // branch already made it into the integration branch: that merge is never redone.
  for (const task of initial.backlog.tasks) {
    if (!IN_FLIGHT.has(task.status) || task.status === 'ready') continue;
    const status = { ...(await loadStatus(ctx, task)), status: task.status };
    if (task.status === 'merging' && (await isContainedIn(integration.path, `task/${task.id}`, 'HEAD'))) {
      await recordTransition(files, status, 'done', { pid: undefined, endedAt: new Date().toISOString() }, `merged into ${integrationBranch} (found on resume)`);
      await worktrees.removeTask(task.id, integrationBranch).catch(() => undefined);
      continue;
    }
    await recordTransition(files, status, 'interrupted', { pid: undefined }, 'conductor stopped while this task was in flight');
  }

  const running = new Map<string, Promise<void>>();
  let quotaPause: string | undefined;
  let shownProblem = '';
  const run = { ctx, files, integrationBranch, worktrees, merges, gates, baselineFailures, onQuota: (why: string) => (quotaPause ??= why) };
  for (;;) {
    if (ctx.signal?.aborted) break;
    const report = await readBacklog(ctx, files.backlogPath);
    if (!report.backlog) {
      // An invalid hand edit pauses new starts until it is fixed; running tasks go on.
      const text = report.problems.map(formatProblem).join('\n');
      if (text !== shownProblem) ctx.report(`implement: tasks/BACKLOG.yaml is not valid; no new starts until it is fixed:\n${text}`);
      shownProblem = text;
      if (running.size === 0) throw new ConductorError('BACKLOG_INVALID', 'tasks/BACKLOG.yaml is not valid', { problems: report.problems, hint: `fix it, then run ${rerun} again` });
      await Promise.race(running.values());
      continue;
    }
    shownProblem = '';
    const backlog = report.backlog;
    if (!quotaPause) {
      const view = backlog.tasks.map((t) => ({ id: t.id, depends_on: t.depends_on, files_hint: t.scope.files_hint, status: running.has(t.id) ? ('running' as const) : t.status }));
      for (const id of decideStarts(view, options.concurrency).start) {
        if (options.only && !options.only.has(id)) continue;
        const task = backlog.tasks.find((t) => t.id === id)!;
        ctx.report(`implement: ${id} starts (${task.status === 'pending' ? 'new' : `was ${task.status}`})`);
        running.set(id, runTask(run, task).finally(() => running.delete(id)));
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  await Promise.allSettled(running.values());
  const final = (await readBacklog(ctx, files.backlogPath)).backlog ?? initial.backlog;
  return { integrationBranch, states: Object.fromEntries(final.tasks.map((t) => [t.id, t.status])), ...(quotaPause ? { quotaPause } : {}) };
}

interface Run {
  ctx: PhaseContext;
  files: ReturnType<typeof taskFiles>;
  integrationBranch: string;
  worktrees: WorktreeManager;
  merges: MergeQueue;
  gates: NonNullable<PhaseContext['config']['gates']>;
  baselineFailures: ReadonlySet<string>;
  onQuota: (why: string) => void;
}

async function runTask(run: Run, task: Task): Promise<void> {
  const { ctx, files } = run;
  let status = await loadStatus(ctx, task);
  let notes: string | undefined;
  let lastReason = '';
  const move = async (to: TaskState, patch: Partial<TaskStatus> = {}, note?: string) => {
    status = (await recordTransition(files, status, to, patch, note)).status;
  };
  let attempt = Math.max(task.attempts, status.attempt);
  while (attempt < ctx.config.attempts) {
    attempt++;
    if (status.status !== 'ready') await move('ready');
    await move('running', { attempt, startedAt: new Date().toISOString(), pid: process.pid });
    const work = await runTaskAttempt(ctx, { task, attempt, integrationBranch: run.integrationBranch, worktrees: run.worktrees, gates: run.gates, baselineFailures: run.baselineFailures, ...(notes ? { notes } : {}) });
    await writeNotes(ctx, task.id, attempt, work);
    const patch: Partial<TaskStatus> = { worktree: work.worktree, branch: work.branch, baseCommit: work.baseCommit, files: { modified: work.files }, verification: { gates: work.gates.map(({ name, passed, durationMs, exitCode, log }) => ({ name, passed, durationMs, ...(exitCode !== undefined ? { exitCode } : {}), ...(log ? { log } : {}) })) } };
    if (work.agent) patch.metrics = { contextBytes: work.contextBytes, durationMs: work.agent.durationMs, ...(work.agent.usage ? { inputTokens: work.agent.usage.inputTokens, outputTokens: work.agent.usage.outputTokens } : {}), ...(work.agent.costUsd !== undefined ? { costUsd: work.agent.costUsd } : {}) };
    if (work.result === 'cancelled') return move('interrupted', { ...patch, pid: undefined }, 'stopped by Ctrl-C; resume re-queues it');
    if (work.result === 'quota') {
      run.onQuota(`${task.id}: ${work.reason ?? 'rate limit'}`);
      return move('interrupted', { ...patch, attempt: attempt - 1, pid: undefined }, `rate-limited (not the task's fault): ${work.reason ?? ''}`.trim());
    }
    if (work.result === 'blocked') return move('blocked', { ...patch, pid: undefined, endedAt: new Date().toISOString() }, work.reason);
    if (work.result === 'failed') {
      lastReason = work.reason ?? 'failed';
      notes = work.negativeEvidence.map((line) => `- ${line}`).join('\n') || undefined;
      await move('failed', { ...patch, pid: undefined }, lastReason);
      continue;
    }
    await move('verifying', patch);
    await move('review', patch);
    const review = await reviewAttempt(ctx, task, attempt, work, run.baselineFailures);
    if (!review.ok) {
      lastReason = review.reason;
      await move('failed', { pid: undefined }, review.reason);
      continue;
    }
    const verdict = review.verdict;
    if (verdict.verdict === 'approve' && work.scope?.flagged.length) {
      // The reviewer approved changes to CI, hooks or agent settings: only now may the gates run them.
      const gated = await runGates(run.gates, gateOptions(ctx, work.worktree, task.id, `attempt-${attempt}-approved`));
      const failing = newlyFailing(gated, run.baselineFailures);
      if (failing.length > 0) {
        lastReason = `gates failed after approval: ${failing.map((g) => g.name).join(', ')}`;
        notes = failing.map((gate) => `- ${gateEvidence(gate, attempt)}`).join('\n');
        await move('failed', { pid: undefined }, lastReason);
        continue;
      }
    }
    if (verdict.verdict === 'approve') {
      await move('merging', { review: { verdict: 'approve', summary: verdict.summary } });
      const merged = await run.merges.merge(work.branch, `Merge ${task.id}: ${task.title}`);
      if (merged.ok) {
        await move('done', { pid: undefined, endedAt: new Date().toISOString() }, `merged into ${run.integrationBranch}`);
        await run.worktrees.removeTask(task.id, run.integrationBranch).catch((error: unknown) => ctx.report(`implement: could not remove worktrees/${task.id}: ${(error as Error).message}`));
        return;
      }
      lastReason = `merge conflict in ${merged.conflicts.join(', ') || 'the merge'}`;
      notes = `- attempt ${attempt}: merging hit a conflict in ${merged.conflicts.join(', ')}; start from the current integration code`;
      await move('conflict', { pid: undefined }, lastReason);
      await run.worktrees.removeTask(task.id, run.integrationBranch); // regenerated from the new tip; work saved to a salvage ref
      continue;
    }
    // changes: a fresh worker in the same worktree gets the required changes. rebase: the worktree is
    // discarded (salvaged) and the task regenerated from scratch with the negative evidence; the rebase
    // agent that also rewrites the task arrives with phase 4's remaining work.
    lastReason = `review asked for ${verdict.verdict}: ${verdict.summary}`;
    notes = [...verdict.required_changes, ...verdict.negative_evidence].map((line) => `- ${line}`).join('\n') || undefined;
    await move('failed', { pid: undefined, review: { verdict: verdict.verdict, summary: verdict.summary } }, lastReason);
    if (verdict.verdict === 'rebase') await run.worktrees.removeTask(task.id, run.integrationBranch);
  }
  await move('blocked', { pid: undefined, endedAt: new Date().toISOString() }, `attempts used up (${ctx.config.attempts}); last: ${lastReason}; see tasks/${task.id}.notes.md`);
}

async function loadStatus(ctx: PhaseContext, task: Task): Promise<TaskStatus> {
  const read = await readTaskStatus(join(ctx.repoRoot, 'tasks'), task.id);
  if (read.kind === 'ok') return { ...read.status, status: task.status };
  if (read.kind === 'corrupt') ctx.report(`implement: tasks/${task.id}.status.json was unreadable (${read.reason}); set aside as ${read.movedTo}`);
  return { ...newTaskStatus(task.id), status: task.status, attempt: task.attempts };
}

async function writeNotes(ctx: PhaseContext, id: string, attempt: number, work: AttemptOutcome): Promise<void> {
  const lines = [`## Attempt ${attempt}: ${work.result}${work.reason ? ` — ${work.reason}` : ''}`, ''];
  if (work.agent?.finalMessage.trim()) lines.push('Worker said:', '', ...work.agent.finalMessage.trim().split('\n').map((l) => `> ${l}`), '');
  for (const gate of work.gates) lines.push(`- gate ${gate.name}: ${gate.passed ? 'passed' : 'FAILED'} (${Math.round(gate.durationMs)} ms)`);
  if (work.negativeEvidence.length) lines.push('', 'Negative evidence:', ...work.negativeEvidence.map((l) => `- ${l}`));
  await appendFile(join(ctx.repoRoot, 'tasks', `${id}.notes.md`), `${lines.join('\n')}\n\n`);
}

async function readBacklog(ctx: PhaseContext, path: string): Promise<{ backlog?: Backlog; problems: Problem[] }> {
  // No budget check here: a context over budget goes to the compressor when its task starts (prepare-context.ts).
  const report = await validateBacklogFile(path, 'tasks/BACKLOG.yaml', { repoRoot: ctx.repoRoot, taskContextBytes: Number.POSITIVE_INFINITY });
  return report.backlog ? { backlog: report.backlog, problems: [] } : { problems: report.problems };
}
