// Phases 3 and 4 over the live backlog: a dynamic ready queue (decideStarts)
// re-read before every decision, each task through attempts (worker, gates,
// review) until it merges or its attempts are used up, every transition
// persisted first. Tasks a crash left "in flight" are re-queued as
// interrupted; the integration branch only moves through the merge queue.
// A rate limit on any of a task's agents pauses new starts and is not the
// task's fault: it is interrupted with its attempt given back, and resume
// takes it up where it stopped (a new attempt, the review of the attempt's
// commit, or the rewrite of the task).
import { existsSync } from 'node:fs';
import { ConductorError } from '../errors.js';
import { guessTaskId } from '../util/did-you-mean.js';
import { formatProblem, type Problem } from '../problems.js';
import type { Backlog, Task, TaskState } from '../backlog/types.js';
import { validateBacklogFile } from '../backlog/validate-backlog.js';
import { detectGates } from '../gates/detect-gates.js';
import { gateEvidence, newlyFailing, runGates } from '../gates/run-gates.js';
import { MergeQueue, type MergeCheck } from '../git/merge-queue.js';
import { mergeIntoCheckout, type CheckoutMerge } from '../git/merge-into-checkout.js';
import { refreshRepoMap } from '../repo-map/refresh-map.js';
import { repoMapFile } from '../config/docs-dir.js';
import { NO_VERDICT } from '../review/no-verdict.js';
import { WorktreeManager, type WorktreeNaming } from '../git/worktrees.js';
import { decideStarts } from '../scheduler/decide-starts.js';
import type { PoolMember } from '../scheduler/slot-pool.js';
import type { TaskStatus } from '../state/status-file.js';
import type { EventInput, Stage } from '../state/task-events.js';
import { recordTransition, taskFiles } from '../state/task-record.js';
import { runCapReached, taskCapReached } from './budget-guard.js';
import { loadStatus, recoverInFlight } from './recover-in-flight.js';
import { tasksDirOf, type PhaseContext } from './call-role.js';
import { applyCorrections, decideDone, readDoneRecord, recordStaleSave } from './done-authority.js';
import { rebaseTask } from './rebase-task.js';
import { AUTO_REBASE_AFTER, cutShortAt, RATE_LIMITED, REBASE_VERDICT, rewriteToRetry, STOPPED, STOPPED_IN_REVIEW } from './resume-point.js';
import { appendNotes, diffstat, notesOfReview, writeNotes } from './task-notes.js';
import { reviewAttempt } from './review-attempt.js';
import { HumanStops, settleStopped } from './human-stop.js';
import { recheckAttempt, runTaskAttempt, type AttemptOutcome } from './task-attempt.js';
import { attemptPatch, emitGateResults, setupTime } from './attempt-record.js';
import { preparedGates, setupFailure } from './prepared-gates.js';
import { removeSpares } from '../prepare/spare-trees.js';
import { emitEvent, type BacklogTaskInfo } from '../events/event-log.js';
import { openExecutor, runRemoteAttempt, type Executor, type RemoteRecord } from '../executor/coordinator.js';
import { writeTaskStatus } from '../state/status-file.js';

const taskInfo = (t: Task): BacklogTaskInfo => ({ id: t.id, title: t.title, depends_on: t.depends_on, status: t.status, attempts: t.attempts });

const STOP_POLL_MS = 1000;

/** A timer to race against, cancelled once the race is decided (no timer keeps the process up). */
function delay(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return { promise, cancel: () => clearTimeout(timer) };
}

export interface ImplementOptions {
  only?: ReadonlySet<string>;
  allowFailingBaseline: boolean;
  concurrency: number;
  /** Where the integration branch starts when it does not exist yet. */
  baseRef: string;
  /** What the user runs to try again, for messages (default: conductor implement). */
  rerunCommand?: string;
  /** Branch and worktree names (default: conductor/<feature>, task/<id>). */
  naming?: WorktreeNaming;
  /** A worker limit shared with other projects (factory --projects); `concurrency` still caps this one. */
  pool?: PoolMember;
  /** --merge: merge the integration branch into the user's branch when every task is done and the checkout is clean. */
  mergeIntoCheckout?: boolean;
}

export interface ImplementSummary {
  integrationBranch: string;
  states: Record<string, TaskState>;
  /** Set when new starts stopped because an agent hit a rate limit. */
  quotaPause?: string;
  /** What --merge did. */
  checkoutMerge?: CheckoutMerge;
  /** Set when new starts stopped because the run's cost cap was reached. */
  costStop?: string;
}

export async function runImplementPhase(ctx: PhaseContext, options: ImplementOptions): Promise<ImplementSummary> {
  const files = taskFiles(ctx.repoRoot, tasksDirOf(ctx));
  const initial = await readBacklog(ctx, files.backlogPath);
  const rerun = options.rerunCommand ?? 'conductor implement';
  if (!initial.backlog) throw new ConductorError('BACKLOG_INVALID', 'tasks/BACKLOG.yaml is not valid; nothing was changed', { problems: initial.problems, hint: `fix it, then run ${rerun} again` });
  const unknown = [...(options.only ?? [])].filter((id) => !initial.backlog!.tasks.some((t) => t.id === id));
  if (unknown.length > 0) {
    const ids = initial.backlog.tasks.map((t) => t.id);
    const guesses = unknown.map((id) => guessTaskId(id, ids)).filter((g): g is string => g !== undefined);
    throw new ConductorError('USAGE', `--only names ${unknown.length === 1 ? 'a task' : 'tasks'} not in tasks/BACKLOG.yaml: ${unknown.join(', ')}`, {
      hint: guesses.length ? `did you mean ${guesses.join(', ')}?` : `its tasks are ${ids.slice(0, 12).join(', ')}${ids.length > 12 ? ', …' : ''}`,
    });
  }
  const worktrees = new WorktreeManager(ctx.repoRoot, options.naming, ctx.config.worktreeDir);
  const integrationBranch = worktrees.naming.integrationBranch(initial.backlog.feature);
  const feature = initial.backlog.feature;
  const integration = await worktrees.ensureIntegration(feature, options.baseRef);
  const gates = ctx.config.gates ?? detectGates(integration.path).gates;
  // A worktree directory removed mid-run (a worker's rm -rf, a human cleaning up) is re-created, not a crash.
  const merges = new MergeQueue(integration.path, async () => {
    if (existsSync(integration.path)) return false;
    await worktrees.ensureIntegration(feature, options.baseRef);
    return true;
  });
  if (await merges.abortHalfDoneMerge()) ctx.report('implement: aborted a merge a crash left half-done');

  // The broken-feedback-loop check: gates that already fail on the base are not a worker's fault.
  const prepared = await preparedGates(ctx, integration.path, true, '_baseline');
  if (!prepared.setup.ok) {
    throw new ConductorError('PHASE_FAILED', `the integration worktree could not be prepared for the gates: ${setupFailure(prepared.setup, ctx.repoRoot)}`, { hint: 'setup in conductor.config.yaml overrides the detected preparation (docs/workflow.md, "Preparing worktrees")' });
  }
  const baseline = await runGates(gates, prepared.options);
  const baselineFailures = new Set(baseline.filter((g) => !g.passed).map((g) => g.name));
  if (baselineFailures.size > 0 && !options.allowFailingBaseline) {
    throw new ConductorError('PHASE_FAILED', `the base already fails its gates: ${[...baselineFailures].join(', ')}`, { hint: 'fix the base first, or pass --allow-failing-baseline to record these failures and not blame workers for them' });
  }

  await emitEvent(ctx.conductorDir, { type: 'backlog', feature, tasks: initial.backlog.tasks.map(taskInfo) });
  await recoverInFlight(ctx, { backlog: initial.backlog, files, worktrees, integrationPath: integration.path, integrationBranch });
  const doneRecord = await readDoneRecord(files.tasksDir, initial.backlog);
  const warned = new Set<string>();
  /** The backlog with `done` as conductor recorded it (see done-authority.ts), each disagreement said once. */
  const withRecordedDone = async (backlog: Backlog): Promise<Backlog> => {
    const corrections = decideDone(backlog.tasks, doneRecord, 'tasks/BACKLOG.yaml');
    for (const c of corrections) {
      if (warned.has(`${c.id}:${c.written}`)) continue;
      warned.add(`${c.id}:${c.written}`);
      ctx.report(`implement: warning: ${c.message}`);
      await emitEvent(ctx.conductorDir, { type: 'warning', task: c.id, message: c.message });
      if (c.kept === 'done') await recordStaleSave(files.tasksDir, c);
    }
    return applyCorrections(backlog, corrections, files.backlogPath);
  };

  // The distributed executor (docs/distributed.md): attempts go to workers through its queue.
  const executor = ctx.config.executor ? await openExecutor(ctx, ctx.config.executor) : undefined;
  try {
    return await implementLoop(ctx, options, { files, initial: initial.backlog, worktrees, integrationBranch, integration, merges, gates, baselineFailures, withRecordedDone, doneRecord, executor });
  } finally {
    await executor?.close(!ctx.signal?.aborted);
  }
}

interface LoopScope {
  files: ReturnType<typeof taskFiles>;
  initial: Backlog;
  worktrees: WorktreeManager;
  integrationBranch: string;
  integration: { path: string };
  merges: MergeQueue;
  gates: NonNullable<PhaseContext['config']['gates']>;
  baselineFailures: ReadonlySet<string>;
  withRecordedDone: (backlog: Backlog) => Promise<Backlog>;
  doneRecord: Awaited<ReturnType<typeof readDoneRecord>>;
  executor: Executor | undefined;
}

async function implementLoop(ctx: PhaseContext, options: ImplementOptions, scope: LoopScope): Promise<ImplementSummary> {
  const { files, worktrees, integrationBranch, integration, merges, gates, baselineFailures, withRecordedDone, doneRecord, executor } = scope;
  const initial = { backlog: scope.initial };
  const rerun = options.rerunCommand ?? 'conductor implement';
  const running = new Map<string, Promise<void>>();
  const stops = new HumanStops();
  let quotaPause: string | undefined;
  let costStop: string | undefined;
  let shownProblem = '';
  const pool = options.pool;
  /** Ready tasks are held back only because the shared pool has no slot for this project now. */
  let waitingForSlot: boolean;
  let mapRefresh: Promise<unknown> = Promise.resolve();
  const run: Run = {
    ctx,
    files,
    integrationBranch,
    worktrees,
    merges,
    gates,
    baselineFailures,
    executor,
    onQuota: (why: string) => (quotaPause ??= why),
    merged: (taskId: string) => doneRecord.done.add(taskId),
    afterMergeCheck: (taskId, attempt) =>
      ctx.config.gates_after_merge
        ? async () => {
            const results = await runGates(gates, (await preparedGates(ctx, integration.path, true, taskId, `attempt-${attempt}-merged`)).options);
            const failing = newlyFailing(results, baselineFailures);
            return failing.length ? { detail: failing.map((g) => g.name).join(', '), evidence: failing.map((gate) => gateEvidence(gate, attempt, `after merging into ${integrationBranch}`)) } : undefined;
          }
        : undefined,
    // One refresh at a time; the map is cached by the tree's listing, so an unchanged tree costs one `git ls-files`.
    mergedTree: () => {
      // The repo map describes the live integration branch; a factory build's tree is not it.
      if (ctx.tasksDir !== undefined) return;
      mapRefresh = mapRefresh.then(() => refreshRepoMap(ctx.repoRoot, { budgetBytes: ctx.config.budgets.repoMapBytes, treeDir: integration.path, docsDir: ctx.config.docsDir })).catch((error: unknown) => ctx.report(`implement: could not refresh ${repoMapFile(ctx.config.docsDir)}: ${(error as Error).message}`));
    },
  };
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
    const backlog = await withRecordedDone(report.backlog);
    for (const stop of await stops.check(backlog, files.tasksDir)) ctx.report(`implement: ${stop.id} was set to ${stop.state} in tasks/BACKLOG.yaml while it ran; stopping it`);
    for (const set of await stops.recordSettled(backlog, files.tasksDir, running)) ctx.report(`implement: ${set.id} was set to ${set.state} in tasks/BACKLOG.yaml (it was ${set.was}); recorded`);
    costStop ??= await runCapReached(ctx);
    if (!quotaPause && !costStop) {
      // A task in review that this run is not running waits for a human (no usable verdict): it holds no slot.
      const view = backlog.tasks.map((t) => ({ id: t.id, depends_on: t.depends_on, files_hint: t.scope.files_hint, status: running.has(t.id) ? ('running' as const) : t.status === 'review' ? ('blocked' as const) : t.status }));
      const ready = decideStarts(view, options.concurrency).start.filter((id) => !options.only || options.only.has(id));
      // With a pool shared by several projects, it decides how many of them start now.
      const starts = pool ? ready.slice(0, pool.pool.grant(pool.project, ready.length)) : ready;
      waitingForSlot = starts.length < ready.length;
      for (const id of starts) {
        const task = backlog.tasks.find((t) => t.id === id)!;
        ctx.report(`implement: ${id} starts (${task.status === 'pending' ? 'new' : `was ${task.status}`})`);
        pool?.pool.take(pool.project);
        const signal = stops.signalFor(id, ctx.signal);
        running.set(
          id,
          runTask(run, task, signal)
            .then(async () => {
              const stopped = stops.finished(id);
              if (stopped) await settleStopped(ctx, worktrees, integrationBranch, files.tasksDir, id, stopped);
            })
            .finally(() => {
            running.delete(id);
            pool?.pool.release(pool.project);
          }),
        );
      }
    } else waitingForSlot = false;
    if (running.size === 0 && !waitingForSlot) break;
    // A tick while tasks run: a human's edit that stops one (see human-stop.ts) is seen within a second.
    const tick = running.size > 0 ? delay(STOP_POLL_MS) : undefined;
    await Promise.race([...running.values(), ...(pool && waitingForSlot ? [pool.pool.changed()] : []), ...(tick ? [tick.promise] : [])]);
    tick?.cancel();
  }
  pool?.pool.idle(pool.project);
  await Promise.allSettled(running.values());
  await removeSpares(worktrees.worktreesDir).catch(() => undefined); // no worktree left to prepare in this run
  // The loop ticks while tasks run, so the cap may have been seen mid-task: the figure said is the spend once they finished.
  if (costStop) costStop = (await runCapReached(ctx)) ?? costStop;
  await mapRefresh;
  const final = await withRecordedDone((await readBacklog(ctx, files.backlogPath)).backlog ?? initial.backlog);
  const states = Object.fromEntries(final.tasks.map((t) => [t.id, t.status]));
  let checkoutMerge: CheckoutMerge | undefined;
  if (options.mergeIntoCheckout && !ctx.signal?.aborted) {
    const unfinished = final.tasks.filter((t) => t.status !== 'done' && t.status !== 'skipped').map((t) => t.id);
    checkoutMerge = unfinished.length ? { merged: false, message: `not merged: ${unfinished.join(', ')} ${unfinished.length === 1 ? 'is' : 'are'} not done; when you are happy with it, run: git merge --no-ff ${integrationBranch}` } : await mergeIntoCheckout(ctx.repoRoot, integrationBranch, ctx.config.docsDir);
  }
  return { integrationBranch, states, ...(quotaPause ? { quotaPause } : {}), ...(costStop ? { costStop } : {}), ...(checkoutMerge ? { checkoutMerge } : {}) };
}

interface Run {
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

async function runTask(run: Run, initialTask: Task, signal: AbortSignal): Promise<void> {
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

async function readBacklog(ctx: PhaseContext, path: string): Promise<{ backlog?: Backlog; problems: Problem[] }> {
  // No budget check here: a context over budget goes to the compressor when its task starts (prepare-context.ts).
  const report = await validateBacklogFile(path, 'tasks/BACKLOG.yaml', { repoRoot: ctx.repoRoot, taskContextBytes: Number.POSITIVE_INFINITY });
  return report.backlog ? { backlog: report.backlog, problems: [] } : { problems: report.problems };
}
