// The coordinator's side of the distributed executor: one task attempt sent
// to the queue instead of run here. conductor still plans, schedules, locks
// files, reviews and merges; only the attempt (worktree, worker session,
// gates, commit) runs on a worker. The coordinator alone pushes the refs the
// attempts start from; it takes back only the ref named by the completion of
// the job it is waiting for (a stale worker's late push is never fetched),
// checks the commit descends from the base, recomputes the changed files and
// the scope check itself, and moves the local task branch to that commit.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { renderTaskContext } from '../context/task-context.js';
import { git, isContainedIn } from '../git/git.js';
import { routeFor } from '../agents/routing.js';
import { writeFileAtomically } from '../state/atomic-write.js';
import { join } from 'node:path';
import type { ExecutorConfig } from '../config/types.js';
import type { AgentRequest, AgentResult } from '../agents/types.js';
import { appendLedger, ledgerEntry } from '../agents/ledger.js';
import { ConductorError } from '../errors.js';
import { gateOptions, tasksDirOf, type PhaseContext } from '../phases/call-role.js';
import type { GateRun } from '../gates/run-gates.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { prepareTaskContext } from '../phases/prepare-context.js';
import { changedFiles, checkChangeWithoutGates, type AttemptInput, type AttemptOutcome } from '../phases/task-attempt.js';
import { loadQueuePackage, type AttemptQueue } from './load-queue.js';
import { ProviderSlots } from './provider-slots.js';
import { emitEvent, eventsPath, readEvents } from '../events/event-log.js';
import { attemptRef, completionProblems, fetchResult, GATE_LOG_BYTES, integrationRef, jobKey, labelsFor, JOB_VERSION, taskBaseRef, type AttemptCompletion, type AttemptJob, type AttemptProgress, type WorkerId } from './job.js';

const POLL_MS = 300;
/** A job no worker took for this long is said to be waiting (once). */
const WAITING_SAID_AFTER_MS = 15_000;

export interface Executor {
  queue: AttemptQueue;
  remote: string;
  heartbeatSeconds: number;
  /** Serializes the coordinator's pushes (force-with-lease to the value it last pushed). */
  push(local: string, ref: string): Promise<void>;
  /** executor.providerCaps, held here: an attempt takes a slot of its provider before its job is sent. */
  slots: ProviderSlots;
  /** Called when the run ends: stop the embedded PostgreSQL when the run finished (an interrupted run leaves it for resume). */
  close(finished: boolean): Promise<void>;
}

function hasPassword(remote: string): boolean {
  try {
    return new URL(remote).password !== '';
  } catch {
    return false; // a path, or scp-like user@host:path: no password in it
  }
}

/** A remote URL or path as both sides use it: a local path made absolute. */
export function remoteUrl(remote: string, repoRoot: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(remote) || /^[^/]+@[^/]+:/.test(remote) ? remote : resolve(repoRoot, remote);
}

export async function openExecutor(ctx: PhaseContext, config: ExecutorConfig): Promise<Executor> {
  const pkg = await loadQueuePackage();
  const remote = remoteUrl(config.remote, ctx.repoRoot);
  if (hasPassword(remote)) {
    throw new ConductorError('USAGE', `the executor's git remote ${remote.replace(/:[^:@/]*@/, ':***@')} carries a password: every job names its remote, and nothing secret goes into the queue`, { hint: 'give the workers and this machine their own credentials (an ssh key, or a git credential helper) and a remote URL without them' });
  }
  const probe = await git(ctx.repoRoot).run(['ls-remote', '--heads', remote]);
  if (probe.exitCode !== 0) throw new ConductorError('USAGE', `cannot reach the executor's git remote ${remote}: ${probe.stderr.trim()}`, { hint: 'executor.remote (or --remote) names a bare repository both this machine and the workers can reach (git init --bare)' });
  const heartbeatSeconds = config.heartbeatSeconds ?? 30;
  let url = config.queue;
  let embedded: Awaited<ReturnType<typeof pkg.startEmbedded>> | undefined;
  if (url === 'embedded') {
    embedded = await pkg.startEmbedded(ctx.conductorDir).catch((error: unknown) => {
      throw new ConductorError('PHASE_FAILED', `the embedded PostgreSQL (queue: embedded) could not start: ${(error as Error).message}`, { hint: 'or give executor.queue the postgres:// URL of a PostgreSQL you run' });
    });
    url = embedded.url;
    ctx.report(`executor: PostgreSQL of conductor's own at ${url.replace(/:[^:@/]*@/, ':***@')} (${embedded.startedHere ? 'started' : 'already running'}; workers here: conductor worker --queue embedded --repo ${ctx.repoRoot})`);
  }
  let queue: AttemptQueue;
  try {
    queue = await pkg.openQueue({ url, heartbeatSeconds, onError: () => undefined });
  } catch (error) {
    throw new ConductorError('USAGE', `cannot reach the executor's queue at ${url.replace(/:[^:@/]*@/, ':***@')}: ${(error as Error).message}`, { hint: 'check executor.queue in conductor.config.yaml (or --queue): a postgres:// URL of a running PostgreSQL, or embedded' });
  }
  await queue.setProviderCaps(config.providerCaps ?? {});
  const lastPushed = new Map<string, string>();
  let pushes: Promise<unknown> = Promise.resolve();
  const push = (local: string, ref: string) => {
    const next = pushes.then(async () => {
      // We are the only writer of these refs: what is there now is what we last pushed (read once after a restart).
      if (!lastPushed.has(ref)) {
        const seen = (await git(ctx.repoRoot).raw(['ls-remote', remote, ref])).split('\t')[0]?.trim() ?? '';
        lastPushed.set(ref, seen);
      }
      const commit = (await git(ctx.repoRoot).raw(['rev-parse', '--verify', `${local}^{commit}`])).trim();
      if (lastPushed.get(ref) === commit) return;
      await git(ctx.repoRoot).raw(['push', '--quiet', '--no-verify', `--force-with-lease=${ref}:${lastPushed.get(ref) ?? ''}`, remote, `${commit}:${ref}`]);
      lastPushed.set(ref, commit);
    });
    pushes = next.catch(() => undefined);
    return next;
  };
  return {
    queue,
    remote,
    heartbeatSeconds,
    push,
    slots: new ProviderSlots(config.providerCaps ?? {}),
    async close(finished) {
      await queue.close({ graceful: false, timeoutMs: 2000 }).catch(() => undefined);
      if (finished && embedded) await embedded.stop().catch(() => undefined);
    },
  };
}

/** The status record's hold on the job it sent: written before the job is sent, so a resume re-attaches. */
export interface RemoteHold {
  jobId: string;
  token: string;
  attempt: number;
}

export interface RemoteRecord {
  /** The hold recorded for this task, if any. */
  held(): RemoteHold | undefined;
  hold(hold: RemoteHold): Promise<void>;
  /** The worker that took the attempt (status and the attempt's event say where it runs). */
  takenBy(worker: WorkerId): Promise<void>;
}

export type RemoteOutcome = AttemptOutcome & { worker?: WorkerId };

export async function runRemoteAttempt(ctx: PhaseContext, input: AttemptInput, exec: Executor, record: RemoteRecord): Promise<RemoteOutcome> {
  const { task, attempt } = input;
  // The provider's slot first (executor.providerCaps), before anything is sent; a re-attached job holds one too.
  const { provider } = routeFor(ctx.config, 'implementer', task, ctx.defaultProvider);
  const release = await exec.slots.take(provider, ctx.signal, (cap) => ctx.report(`implement: ${task.id} attempt ${attempt} waits for a slot of ${provider} (executor.providerCaps: ${cap} at once)`));
  if (!release) {
    const place = input.worktrees.placeOf(input.worktrees.naming.taskDir(task.id));
    return { result: 'cancelled', reason: 'cancelled', worktree: place, branch: input.worktrees.naming.taskBranch(task.id), baseCommit: '', contextBytes: 0, files: [], gates: [], negativeEvidence: [] };
  }
  try {
    return await attemptRemotely(ctx, input, exec, record);
  } finally {
    release();
  }
}

async function attemptRemotely(ctx: PhaseContext, input: AttemptInput, exec: Executor, record: RemoteRecord): Promise<RemoteOutcome> {
  const { task, attempt } = input;
  const run = ctx.runId;
  const wt = await input.worktrees.ensureTask(task.id, input.integrationBranch);
  const measureFrom = wt.reused ? (await git(wt.path).raw(['merge-base', 'HEAD', input.integrationBranch])).trim() : wt.head;
  const start = wt.head; // the worktree's HEAD, as the worktree manager made or found it
  const outcome: RemoteOutcome = { result: 'failed', worktree: wt.path, branch: wt.branch, baseCommit: measureFrom, contextBytes: 0, files: [], gates: [], negativeEvidence: [] };
  const end = (result: AttemptOutcome['result'], reason: string, extra: Partial<AttemptOutcome> = {}) => Object.assign(outcome, { result, reason }, extra);

  let hold = record.held();
  let job: AttemptJob | undefined;
  let reattached = false;
  if (hold && hold.attempt === attempt) {
    const queued = await exec.queue.job(hold.jobId);
    if (queued && queued.state !== 'failed' && queued.state !== 'cancelled') {
      job = queued.data as AttemptJob;
      reattached = true;
      ctx.report(`implement: ${task.id} attempt ${attempt}: re-attached to its job on the queue (${queued.state})`);
    }
  }
  if (!job) {
    const fitted = await prepareTaskContext(ctx, task, attempt, renderTaskContext);
    outcome.contextBytes = fitted.bytes;
    if (!fitted.ok) return end(fitted.result, fitted.reason);
    await writeFileAtomically(join(tasksDirOf(ctx), `${task.id}.context.md`), fitted.text, { derived: true });
    const baseRef = wt.reused ? taskBaseRef(run, task.id) : integrationRef(run);
    try {
      await exec.push(start, baseRef);
    } catch (error) {
      return end('blocked', `the attempt's base could not be pushed to ${exec.remote}: ${(error as Error).message}; no attempt used`, { setupError: true });
    }
    const route = routeFor(ctx.config, 'implementer', task, ctx.defaultProvider);
    hold = { jobId: randomUUID(), token: randomUUID().replaceAll('-', '').slice(0, 16), attempt };
    const labels = labelsFor(ctx.config.executor?.labels, route.provider, task.type);
    job = {
      v: JOB_VERSION,
      run,
      task: task.id,
      attempt,
      token: hold.token,
      remote: exec.remote,
      baseRef,
      baseCommit: start,
      measureFrom,
      provider: route.provider,
      ...(route.model ? { model: route.model } : {}),
      ...(labels.length ? { labels } : {}),
      baselineFailures: [...input.baselineFailures],
      context: fitted.text,
      ...(input.notes ? { notes: input.notes } : {}),
      taskScope: { id: task.id, title: task.title, type: task.type, scope: task.scope },
    };
    await record.hold(hold);
    const t = ctx.config.timeouts;
    let sent: string | null;
    try {
      // A job of this task that no record holds (a coordinator killed between sending and recording) is not waited for.
      for (const stray of await exec.queue.liveJobs(jobKey(run, task.id))) await exec.queue.cancel(stray.id);
      sent = await exec.queue.send(job, { id: hold.jobId, key: jobKey(run, task.id), provider: route.provider, labels, expireInSeconds: Math.min(86_000, (t.hardMinutes + t.gateMinutes * Math.max(1, input.gates.length) + 30) * 60) });
    } catch (error) {
      return end('blocked', `the queue could not take the attempt's job: ${(error as Error).message}; no attempt used`, { setupError: true });
    }
    if (sent === null) return end('blocked', `the queue refused the attempt's job (another live job of ${task.id}); no attempt used`, { setupError: true });
  }
  outcome.contextBytes ||= Buffer.byteLength(job.context);
  outcome.baseCommit = job.measureFrom; // a re-attached job's, even when the worktree was made anew since
  const jobId = hold!.jobId;

  // Wait for the job: taken (where it runs), then completed, failed for good (infrastructure), or cancelled.
  let worker: WorkerId | undefined;
  let seenRetry = -1;
  // A job re-attached to: the steps the coordinator that sent it already made into events are not said twice.
  const steps: Steps = { seen: -1, said: reattached ? await sessionEventsSaid(ctx.conductorDir, job.token) : new Set() };
  const sentAt = Date.now();
  let saidWaiting = false;
  for (;;) {
    if (ctx.signal?.aborted) {
      await exec.queue.cancel(jobId).catch(() => undefined);
      return end('cancelled', 'cancelled');
    }
    const now = await exec.queue.job(jobId).catch(() => undefined); // the database away for a moment: asked again
    if (now === null) return end('blocked', `the attempt's job ${jobId} is gone from the queue; no attempt used`, { setupError: true });
    if (now) {
      // Who took it: asked until the worker of this retry of the job has said so (a lost worker's retry goes elsewhere).
      if (now.retryCount !== seenRetry && now.state !== 'created') {
        const taken = await exec.queue.takenBy(jobId, now.retryCount).catch(() => undefined);
        if (taken) {
          // A lost worker's session that never ended: ended here, as the attempt runs again elsewhere.
          if (steps.open) await emitEvent(ctx.conductorDir, { type: 'session-end', ...steps.open, exit: 'failed', durationMs: 0, detail: `its worker ${worker?.id ?? '?'} was lost; the attempt runs again on another` });
          seenRetry = now.retryCount;
          worker = taken;
          outcome.worker = worker;
          steps.seen = -1;
          steps.open = undefined;
          await record.takenBy(worker);
        }
      }
      // The attempt's steps as its worker reports them (read after the job's state: a completed job's steps are all there).
      if (worker && seenRetry >= 0 && (now.state === 'active' || now.state === 'completed')) {
        const reported = await exec.queue.progressOf(jobId, seenRetry).catch(() => []);
        for (const { seq, event } of reported) {
          if (seq <= steps.seen) continue;
          steps.seen = seq;
          await takeStep(ctx, input, job, seenRetry, worker, event as AttemptProgress, steps);
        }
      }
      if (now.state === 'created' && !saidWaiting && Date.now() - sentAt > WAITING_SAID_AFTER_MS) {
        saidWaiting = true;
        const labels = job.labels?.length ? job.labels.join(',') : undefined;
        ctx.report(`implement: ${task.id} attempt ${attempt} waits for a worker${labels ? ` with the labels ${labels}` : ''} (start one with: conductor worker --queue <the queue's URL>${labels ? ` --labels ${labels}` : ''})`);
      }
      if (now.state === 'completed') return accept(ctx, input, job, now.output, outcome, wt.path);
      if (now.state === 'failed') return end('blocked', `the attempt failed on the workers, not by its work (an infrastructure failure after the queue's retries): ${failureOf(now.output)}; no attempt used`, { setupError: true });
      if (now.state === 'cancelled') return end('cancelled', 'its job was cancelled on the queue');
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The progress of the retry being watched: the last step taken, and the session it started that has not ended. */
interface Steps {
  seen: number;
  open?: { sessionId: string; role: string; task: string; attempt: number };
  /** `session-start <id>` and `session-end <id>` of this job's sessions already in the event stream. */
  said: Set<string>;
}

async function sessionEventsSaid(conductorDir: string, token: string): Promise<Set<string>> {
  const { events } = await readEvents(eventsPath(conductorDir));
  const prefix = `remote-${token}-r`; // remoteSessionId's, at any retry
  return new Set(events.flatMap((e) => ((e.type === 'session-start' || e.type === 'session-end') && e.sessionId.startsWith(prefix) ? [`${e.type} ${e.sessionId}`] : [])));
}

/** One reported step of a remote attempt made into what a local attempt does at that point: the same events, the same transition. */
async function takeStep(ctx: PhaseContext, input: AttemptInput, job: AttemptJob, retry: number, worker: WorkerId, step: AttemptProgress, steps: Steps): Promise<void> {
  const who = { sessionId: remoteSessionId(job.token, retry), role: 'implementer', task: job.task, attempt: job.attempt };
  if (step.type === 'session-start') {
    steps.open = who;
    if (steps.said.has(`session-start ${who.sessionId}`)) return;
    await emitEvent(ctx.conductorDir, { type: 'session-start', ...who, provider: step.provider, ...(step.model !== undefined ? { model: step.model } : {}), log: `worker ${worker.id}@${worker.host}` });
  } else if (step.type === 'session-end') {
    steps.open = undefined;
    if (steps.said.has(`session-end ${who.sessionId}`)) return;
    const { type: _type, ...end } = step;
    await emitEvent(ctx.conductorDir, { type: 'session-end', ...who, ...end });
  } else if (step.type === 'gates-start') {
    await input.onGates?.();
  }
}

/** A remote session's id: the same in its events and its ledger line. */
function remoteSessionId(token: string, retry: number): string {
  return `remote-${token}-r${retry}`;
}

function failureOf(output: unknown): string {
  const message = (output as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : JSON.stringify(output ?? 'no detail');
}

/** A completed job's answer, checked and made this repository's own. */
async function accept(ctx: PhaseContext, input: AttemptInput, job: AttemptJob, output: unknown, outcome: RemoteOutcome, worktree: string): Promise<RemoteOutcome> {
  const problems = completionProblems(job, output);
  if (problems.length > 0) return Object.assign(outcome, { result: 'blocked' as const, setupError: true, reason: `the worker's answer was refused: ${problems.join('; ')}; no attempt used` });
  const c = output as AttemptCompletion;
  outcome.worker = c.worker;
  outcome.gates = await withLogs(ctx, job, c);
  outcome.negativeEvidence = c.negativeEvidence;
  if (c.setup) outcome.setup = { ...c.setup, resolution: c.setup.resolution ?? [] };
  if (c.agent) {
    outcome.agent = agentOf(c, job);
    // The worker's session in this run's ledger, as a local one would be: tokens, cost (and its caps), duration.
    await appendLedger(ctx.conductorDir, ledgerEntry({ role: 'implementer', attempt: job.attempt, taskId: job.task } as AgentRequest, outcome.agent, new Date(), ctx.runId));
  }
  if (c.discard) outcome.discard = true;
  if (c.setupError) outcome.setupError = true;
  if (c.commit) {
    const wrong = await fetchResult(ctx.repoRoot, job, c);
    if (wrong) return Object.assign(outcome, { result: 'blocked' as const, setupError: true, reason: `the worker's result was refused: ${wrong}; no attempt used` });
    // The local task branch moves to the worker's commit: a fast-forward from the job's base. A worktree made anew
    // since the job was sent (a resume after the integration branch moved) holds no work of its own: it is set there.
    const head = (await git(worktree).raw(['rev-parse', 'HEAD'])).trim();
    if (await isContainedIn(worktree, head, c.commit)) await git(worktree).raw(['merge', '--ff-only', '--quiet', c.commit]);
    else if (await isContainedIn(worktree, head, input.integrationBranch)) await git(worktree).raw(['reset', '--hard', '--quiet', c.commit]);
    else return Object.assign(outcome, { result: 'blocked' as const, setupError: true, reason: `the task's worktree holds commits the worker's result ${c.commit} does not build on; no attempt used` });
    outcome.files = await changedFiles(worktree, job.measureFrom);
  }
  outcome.result = c.result;
  if (c.reason !== undefined) outcome.reason = c.reason;
  if (c.result !== 'verified') return outcome;
  if (!c.commit) return Object.assign(outcome, { result: 'blocked' as const, setupError: true, reason: 'the worker said verified but named no commit; no attempt used' });
  // The coordinator's own checks of the change: symlinks and scope (the gates ran on the worker; their evidence came back).
  return checkChangeWithoutGates(input, outcome);
}

/**
 * The gates' logs the worker brought back, written where a local attempt's go (the status file's log paths
 * resolve here); a log cut to its end says so in its first line.
 */
async function withLogs(ctx: PhaseContext, job: AttemptJob, c: AttemptCompletion): Promise<GateRun[]> {
  const logs = new Map((Array.isArray(c.gateLogs) ? c.gateLogs : []).map((l) => [l.name, l]));
  if (logs.size === 0) return c.gates;
  const dir = gateOptions(ctx, ctx.repoRoot, job.task, `attempt-${job.attempt}`).logDir;
  await mkdir(dir, { recursive: true });
  const gates: GateRun[] = [];
  for (const gate of c.gates) {
    const log = logs.get(gate.name);
    if (!log || typeof log.text !== 'string' || /[/\\]/.test(gate.name)) {
      gates.push(gate);
      continue;
    }
    const path = join(dir, `${gate.name}.log`);
    const cut = log.cutBytes > 0 ? `[conductor: this log is cut: its first ${log.cutBytes} bytes stayed on worker ${c.worker.id}@${c.worker.host}; its last ${GATE_LOG_BYTES} bytes follow]\n` : '';
    await writeFile(path, cut + log.text);
    gates.push({ ...gate, log: path });
  }
  return gates;
}

function agentOf(c: AttemptCompletion, job: AttemptJob): AgentResult {
  const a = c.agent!;
  return {
    exit: a.exit as AgentResult['exit'],
    finalMessage: '',
    sessionId: remoteSessionId(job.token, c.retry),
    provider: a.provider,
    ...(a.model ? { model: a.model } : {}),
    durationMs: a.durationMs,
    logPath: `worker ${c.worker.id}@${c.worker.host}`,
    promptBytes: a.promptBytes ?? 0,
    promptSha256: a.promptSha256 ?? '',
    ...(a.inputTokens !== undefined || a.outputTokens !== undefined ? { usage: { inputTokens: a.inputTokens ?? 0, outputTokens: a.outputTokens ?? 0 } } : {}),
    ...(a.costUsd !== undefined ? { costUsd: a.costUsd } : {}),
    ...(a.detail ? { detail: a.detail } : {}),
  };
}

/** This process as a worker names itself. */
export function workerIdentity(id?: string): WorkerId {
  return { id: id ?? `${hostname()}-${process.pid}`, host: hostname() };
}

export { attemptRef };
