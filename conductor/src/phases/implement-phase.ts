// Phases 3 and 4 over the live backlog: a dynamic ready queue (decideStarts)
// re-read before every decision, each task through attempts (worker, gates,
// review) until it merges or its attempts are used up, every transition
// persisted first. Tasks a crash left "in flight" are re-queued as
// interrupted; the integration branch only moves through the merge queue.
// A rate limit on any of a task's agents pauses new starts and is not the
// task's fault: it is interrupted with its attempt given back, and resume
// takes it up where it stopped (a new attempt, the review of the attempt's
// commit, or the rewrite of the task). One task's life is task-life.ts.
import { existsSync } from 'node:fs';
import { ConductorError } from '../errors.js';
import { guessTaskId } from '../util/did-you-mean.js';
import { formatProblem, type Problem } from '../problems.js';
import type { Backlog, TaskState } from '../backlog/types.js';
import { validateBacklogFile } from '../backlog/validate-backlog.js';
import { detectGates } from '../gates/detect-gates.js';
import { gateEvidence, newlyFailing, runGates } from '../gates/run-gates.js';
import { MergeQueue } from '../git/merge-queue.js';
import { mergeIntoCheckout, type CheckoutMerge } from '../git/merge-into-checkout.js';
import { refreshRepoMap } from '../repo-map/refresh-map.js';
import { repoMapFile } from '../config/docs-dir.js';
import { WorktreeManager, type WorktreeNaming } from '../git/worktrees.js';
import { decideStarts } from '../scheduler/decide-starts.js';
import type { PoolMember } from '../scheduler/slot-pool.js';
import { taskFiles } from '../state/task-record.js';
import { runCapReached } from './budget-guard.js';
import { recoverInFlight } from './recover-in-flight.js';
import { tasksDirOf, type PhaseContext } from './call-role.js';
import { applyCorrections, decideDone, readDoneRecord, recordStaleSave } from './done-authority.js';
import { HumanStops, settleStopped } from './human-stop.js';
import { preparedGates, setupFailure } from './prepared-gates.js';
import { removeSpares } from '../prepare/spare-trees.js';
import { emitEvent } from '../events/event-log.js';
import { openExecutor, type Executor } from '../executor/coordinator.js';
import { runTask, taskInfo, type Run } from './task-life.js';

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
  const final = await withRecordedDone((await readBacklog(ctx, files.backlogPath)).backlog ?? scope.initial);
  const states = Object.fromEntries(final.tasks.map((t) => [t.id, t.status]));
  let checkoutMerge: CheckoutMerge | undefined;
  if (options.mergeIntoCheckout && !ctx.signal?.aborted) {
    const unfinished = final.tasks.filter((t) => t.status !== 'done' && t.status !== 'skipped').map((t) => t.id);
    checkoutMerge = unfinished.length ? { merged: false, message: `not merged: ${unfinished.join(', ')} ${unfinished.length === 1 ? 'is' : 'are'} not done; when you are happy with it, run: git merge --no-ff ${integrationBranch}` } : await mergeIntoCheckout(ctx.repoRoot, integrationBranch, ctx.config.docsDir);
  }
  return { integrationBranch, states, ...(quotaPause ? { quotaPause } : {}), ...(costStop ? { costStop } : {}), ...(checkoutMerge ? { checkoutMerge } : {}) };
}

async function readBacklog(ctx: PhaseContext, path: string): Promise<{ backlog?: Backlog; problems: Problem[] }> {
  // No budget check here: a context over budget goes to the compressor when its task starts (prepare-context.ts).
  const report = await validateBacklogFile(path, 'tasks/BACKLOG.yaml', { repoRoot: ctx.repoRoot, taskContextBytes: Number.POSITIVE_INFINITY });
  return report.backlog ? { backlog: report.backlog, problems: [] } : { problems: report.problems };
}
