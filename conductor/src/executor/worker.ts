// `conductor worker`: takes task attempts from the queue and runs them with the
// same steps as a local attempt (phases/task-attempt.ts attemptSteps). Per
// remote it keeps one partial bare clone under the work directory; per job it
// fetches the base ref, checks the base commit is in it (else the job fails as
// stale, for the engine to retry), adds a worktree at that commit, reads
// conductor.config.yaml from it (the provider's command, the gates), runs the
// attempt, pushes its commit to the job's create-only result ref and completes
// the job with the result, the gate evidence and the session's summary. A job
// cancelled on the queue (or whose claim this worker lost) aborts the agent:
// its process group is stopped. Model keys come from this process's own
// environment; nothing secret travels in the queue.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Task } from '../backlog/types.js';
import { loadConfig } from '../config/load-config.js';
import { ConductorError, messageOf } from '../errors.js';
import { detectGates } from '../gates/detect-gates.js';
import { git, isContainedIn } from '../git/git.js';
import { WorktreeManager, type WorktreeNaming } from '../git/worktrees.js';
import type { PhaseContext } from '../phases/call-role.js';
import { attemptSteps, type AttemptInput } from '../phases/task-attempt.js';
import { setupRecord } from '../prepare/prepare-worktree.js';
import { resolveSandbox } from '../process/sandbox.js';
import { Supervisor } from '../process/supervisor.js';
import { Slots } from '../util/slots.js';
import { loadQueuePackage, type AttemptQueue, type TakenJob } from './load-queue.js';
import { attemptRef, GATE_LOG_BYTES, JOB_VERSION, type AttemptCompletion, type AttemptJob, type AttemptProgress, type GateLog, type WorkerId } from './job.js';
import type { GateRun } from '../gates/run-gates.js';

export interface WorkerOptions {
  queue: string;
  /** For `--queue embedded`: the repository whose .conductor/queue-url names the coordinator's PostgreSQL. */
  repo?: string;
  concurrency: number;
  workDir: string;
  labels: string[];
  me: WorkerId;
  /** One line per attempt taken and finished. */
  say: (line: string) => void;
  /** SIGTERM/SIGINT: stop taking jobs; running attempts get `graceMs`, then are handed back. */
  stop: AbortSignal;
  /** A second signal: running attempts are handed back at once. */
  now?: AbortSignal;
  graceMs: number;
}

export async function queueUrlOf(queue: string, repo: string | undefined): Promise<string> {
  if (queue !== 'embedded') return queue;
  if (!repo) throw new ConductorError('USAGE', '--queue embedded needs --repo <path>: the repository whose coordinator runs the embedded PostgreSQL', { hint: 'or pass the URL in <repo>/.conductor/queue-url as --queue' });
  const file = join(repo, '.conductor', 'queue-url');
  if (!existsSync(file)) throw new ConductorError('USAGE', `${file} does not exist: no coordinator started the embedded PostgreSQL of ${repo} yet`, { hint: 'start the run first (executor: {queue: embedded, …}), then the workers' });
  return (await readFile(file, 'utf8')).trim();
}

export async function runWorker(options: WorkerOptions): Promise<void> {
  const pkg = await loadQueuePackage();
  const url = await queueUrlOf(options.queue, options.repo);
  let queue: AttemptQueue;
  try {
    // The queue's own errors (its database away for a while): said at most once every half minute; it reconnects by itself.
    let saidAt = 0;
    const onError = (error: unknown) => {
      if (Date.now() - saidAt < 30_000) return;
      saidAt = Date.now();
      options.say(`worker: the queue is not answering (${messageOf(error)}); retrying`);
    };
    queue = await pkg.openQueue({ url, heartbeatSeconds: 10, onError });
  } catch (error) {
    throw new ConductorError('USAGE', `cannot reach the queue at ${url.replace(/:[^:@/]*@/, ':***@')}: ${messageOf(error)}`, { hint: 'check --queue: a postgres:// URL of a running PostgreSQL (or embedded with --repo)' });
  }
  await mkdir(options.workDir, { recursive: true });
  const running = new Set<Promise<unknown>>();
  const handBack = new AbortController();
  options.say(`worker: ${options.me.id} on ${options.me.host} takes attempts (concurrency ${options.concurrency}${options.labels.length ? `, labels ${options.labels.join(',')}` : ''})`);
  // At most `concurrency` attempts at once across the queues it works (the plain one and one per set of labels
  // it has): a job taken while every slot is busy waits here for one (or for its cancel, or this worker's stop).
  const slots = new Slots(options.concurrency);
  await queue.work({ concurrency: options.concurrency, labels: options.labels }, async (job) => {
    const took = await slots.take(AbortSignal.any([job.signal, handBack.signal]));
    if (took && (job.signal.aborted || handBack.signal.aborted)) slots.give();
    if (!took || job.signal.aborted || handBack.signal.aborted) throw new Error(handBack.signal.aborted ? `handed back: worker ${options.me.id} stopped` : 'cancelled');
    const work = runJob(queue, job, options, handBack.signal);
    running.add(work);
    return work.finally(() => {
      running.delete(work);
      slots.give();
    });
  });
  await new Promise<void>((resolve) => (options.stop.aborted ? resolve() : options.stop.addEventListener('abort', () => resolve(), { once: true })));
  options.say(`worker: stopping — no new attempts; ${running.size} running get ${Math.round(options.graceMs / 1000)} s to finish, then are handed back`);
  await queue.stopTaking().catch(() => undefined);
  const grace = new Promise((r) => setTimeout(r, options.graceMs).unref());
  const forced = new Promise((r) => (options.now?.aborted ? r(undefined) : options.now?.addEventListener('abort', r, { once: true })));
  await Promise.race([Promise.allSettled([...running]), grace, forced]);
  if (running.size > 0) {
    handBack.abort();
    await Promise.allSettled([...running]);
  }
  await queue.close({ graceful: true, timeoutMs: 5000 }).catch(() => undefined);
}

/** Labels as `--labels` takes them: lower-case letters, digits, `-` and `_`. */
export function checkLabels(labels: readonly string[]): void {
  const bad = labels.find((l) => !/^[a-z0-9][a-z0-9_-]{0,31}$/.test(l));
  if (bad !== undefined) throw new ConductorError('USAGE', `--labels: "${bad}" is not a label: use lower-case letters, digits, - and _ (at most 32), separated by commas`);
}

const clones = new Map<string, Promise<unknown>>();

/** One partial bare clone per remote, its fetches one at a time. */
async function withClone<T>(workDir: string, remote: string, work: (clone: string) => Promise<T>): Promise<T> {
  const clone = join(workDir, 'repos', `${createHash('sha256').update(remote).digest('hex').slice(0, 16)}.git`);
  const previous = clones.get(clone) ?? Promise.resolve();
  const next = previous.then(async () => {
    if (!existsSync(join(clone, 'HEAD'))) {
      await mkdir(join(workDir, 'repos'), { recursive: true });
      await git(workDir).raw(['clone', '--bare', '--quiet', '--filter=blob:none', '--no-tags', remote, clone]);
    }
    return work(clone);
  });
  clones.set(clone, next.catch(() => undefined));
  return next;
}

async function runJob(queue: AttemptQueue, taken: TakenJob, options: WorkerOptions, handBack: AbortSignal): Promise<AttemptCompletion> {
  const job = taken.data as AttemptJob;
  if (job?.v !== JOB_VERSION) throw new Error(`a job of version ${String(job?.v)}: this worker reads version ${JOB_VERSION}; update conductor on this worker`);
  const started = Date.now();
  const retry = taken.retryCount;
  await queue.announce(taken.id, retry, options.me).catch(() => undefined);
  options.say(`worker: took ${job.task} attempt ${job.attempt} (run ${job.run})`);
  const key = `${job.attempt}-${job.token}-r${retry}`;
  const jobDir = join(options.workDir, 'jobs', `${job.run.slice(0, 8)}-${job.task}-${key}`);
  const signal = AbortSignal.any([taken.signal, handBack]);
  let worktrees: WorktreeManager | undefined;
  let clonePath = '';
  try {
    // The base: fetched from the remote, and the job's commit must be in it (else a stale job: failed, for the engine to retry).
    const wt = await withClone(options.workDir, job.remote, async (clone) => {
      clonePath = clone;
      await git(clone).raw(['fetch', '--quiet', '--no-tags', '--filter=blob:none', job.remote, `+${job.baseRef}:${job.baseRef}`]);
      if (!(await isContainedIn(clone, job.baseCommit, job.baseRef))) throw new Error(`stale job: ${job.baseRef} on ${job.remote} no longer contains the base ${job.baseCommit}`);
      const naming: WorktreeNaming = {
        integrationDir: '_none',
        integrationBranch: () => `conductor-worker/${key}/_none`,
        taskDir: (id) => `${job.run.slice(0, 8)}-${id}-${key}`,
        taskBranch: (id) => `conductor-worker/${key}/${id}`,
      };
      worktrees = new WorktreeManager(clone, naming, join(options.workDir, 'trees'));
      return worktrees.ensureTask(job.task, job.baseCommit);
    });
    // How to run the provider and the gates: the repository's own config, as of the base commit.
    const loaded = (await loadConfig({ repoRoot: wt.path, cwd: wt.path })).config;
    const sandbox = await resolveSandbox(loaded.sandbox);
    const config = { ...loaded, sandbox: sandbox.kind, providerOverride: job.provider };
    const gates = config.gates ?? detectGates(wt.path).gates;
    const supervisor = new Supervisor();
    const ctx: PhaseContext = {
      repoRoot: wt.path,
      conductorDir: join(jobDir, '.conductor'),
      tasksDir: join(jobDir, 'tasks'),
      runId: job.run,
      config,
      defaultProvider: job.provider,
      signal,
      supervisor,
      report: () => undefined,
    };
    // The attempt's steps, reported as they happen: the coordinator makes of each the event (and transition) a local attempt makes.
    let seq = 0;
    const report = (event: AttemptProgress) => queue.progress(taken.id, retry, seq++, event).catch(() => undefined);
    ctx.onSessionEvent = async (event) => {
      if (event.type === 'session-start') await report({ type: 'session-start', provider: event.provider, ...(event.model !== undefined ? { model: event.model } : {}) });
      else {
        const { type: _type, sessionId: _id, role: _role, task: _task, attempt: _attempt, ...end } = event;
        await report({ type: 'session-end', ...end });
      }
    };
    await mkdir(ctx.tasksDir!, { recursive: true });
    const task = { id: job.task, title: job.taskScope.title, type: job.taskScope.type, scope: job.taskScope.scope, depends_on: [], status: 'running', attempts: job.attempt, context: { summary: '', negative_evidence: [] } } as unknown as Task;
    const input: AttemptInput = {
      task,
      attempt: job.attempt,
      integrationBranch: worktrees!.naming.integrationBranch(''),
      worktrees: worktrees!,
      gates,
      baselineFailures: new Set(job.baselineFailures),
      ...(job.notes ? { notes: job.notes } : {}),
      guard: { repoRoot: clonePath },
      onGates: async () => {
        await report({ type: 'gates-start' });
      },
    };
    let outcome;
    try {
      outcome = await attemptSteps(ctx, input, { path: wt.path, branch: wt.branch, reused: job.measureFrom !== job.baseCommit, base: job.measureFrom }, async () => ({ text: job.context }));
    } finally {
      supervisor.signalAll('SIGKILL');
    }
    if (outcome.result === 'cancelled' || signal.aborted) {
      // Cancelled by the coordinator (the job is settled already), or handed back as this worker stops: failed, so the engine retries it elsewhere.
      throw new Error(handBack.aborted ? `handed back: worker ${options.me.id} stopped` : 'cancelled');
    }
    const head = (await git(wt.path).raw(['rev-parse', 'HEAD'])).trim();
    let ref: string | undefined;
    let commit: string | undefined;
    if (outcome.files.length > 0 && !outcome.discard && head !== job.baseCommit) {
      ref = attemptRef(job.run, job.task, job.attempt, job.token, retry);
      // Create-only: the lease's ref must not exist yet (an empty expected value).
      await git(wt.path).raw(['push', '--quiet', '--no-verify', `--force-with-lease=${ref}:`, job.remote, `${head}:${ref}`]);
      commit = head;
    }
    const agent = outcome.agent;
    const completion: AttemptCompletion = {
      v: JOB_VERSION,
      token: job.token,
      retry,
      result: outcome.result,
      ...(commit ? { commit, ref } : {}),
      files: outcome.files,
      gates: outcome.gates.map(({ name, passed, durationMs, exitCode, failures, note }) => ({ name, passed, durationMs, ...(exitCode !== undefined ? { exitCode } : {}), ...(failures !== undefined ? { failures } : {}), ...(note !== undefined ? { note } : {}) })),
      gateLogs: await gateLogs(outcome.gates),
      ...(agent ? { agent: { exit: agent.exit, provider: agent.provider, ...(agent.model ? { model: agent.model } : {}), durationMs: agent.durationMs, promptBytes: agent.promptBytes, promptSha256: agent.promptSha256, ...(agent.usage ? { inputTokens: agent.usage.inputTokens, outputTokens: agent.usage.outputTokens } : {}), ...(agent.costUsd !== undefined ? { costUsd: agent.costUsd } : {}), ...(agent.detail ? { detail: agent.detail } : {}) } } : {}),
      ...(outcome.setup ? { setup: withoutLog(setupRecord(outcome.setup)) } : {}),
      ...(outcome.setupError ? { setupError: true } : {}),
      ...(outcome.discard ? { discard: true } : {}),
      negativeEvidence: outcome.negativeEvidence,
      ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
      worker: options.me,
    };
    options.say(`worker: finished ${job.task} attempt ${job.attempt}: ${outcome.result} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return completion;
  } catch (error) {
    options.say(`worker: gave back ${job.task} attempt ${job.attempt}: ${messageOf(error)}`);
    throw error;
  } finally {
    if (worktrees && clonePath) {
      const made = worktrees;
      await withClone(options.workDir, job.remote, async (clone) => {
        await git(clone).run(['worktree', 'remove', '--force', made.placeOf(made.naming.taskDir(job.task))]);
        await git(clone).run(['branch', '-D', made.naming.taskBranch(job.task)]);
      }).catch(() => undefined);
    }
    await rm(jobDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Each gate's log, its last GATE_LOG_BYTES (the coordinator says when the start was cut). */
async function gateLogs(gates: readonly GateRun[]): Promise<GateLog[]> {
  const logs: GateLog[] = [];
  for (const gate of gates) {
    if (!gate.log) continue;
    const handle = await open(gate.log, 'r').catch(() => undefined);
    if (!handle) continue;
    try {
      const { size } = await handle.stat();
      const from = Math.max(0, size - GATE_LOG_BYTES);
      const buffer = Buffer.alloc(size - from);
      await handle.read(buffer, 0, buffer.length, from);
      logs.push({ name: gate.name, text: buffer.toString('utf8'), cutBytes: from });
    } finally {
      await handle.close();
    }
  }
  return logs;
}

/** A setup record as it travels back: its log is a path on this machine, which the coordinator cannot open. */
function withoutLog(record: ReturnType<typeof setupRecord>): ReturnType<typeof setupRecord> {
  const { log: _log, ...rest } = record;
  return rest;
}
