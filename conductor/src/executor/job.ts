// What travels through the queue for one remote task attempt, and the refs it
// names: the job (everything the attempt needs, nothing secret: model keys stay
// on the worker), the completion a worker answers with, and the checks the
// coordinator makes before it takes the result (docs/distributed.md).
import type { Task } from '../backlog/types.js';
import type { GateResult } from '../state/status-file.js';
import type { SetupRecord } from '../state/status-file.js';
import { git, isContainedIn } from '../git/git.js';
import type { AttemptResult } from '../phases/task-attempt.js';

export const JOB_VERSION = 1;

export interface AttemptJob {
  v: typeof JOB_VERSION;
  run: string;
  task: string;
  attempt: number;
  /** The lease token: the attempt's result ref carries it, so only the job's own worker can name it. */
  token: string;
  /** The shared bare remote (a path or URL; never with a password in it). */
  remote: string;
  /** The ref the coordinator pushed, and the commit the attempt starts from (contained in that ref). */
  baseRef: string;
  baseCommit: string;
  /** The integration branch's commit the change is measured from (baseCommit itself unless an earlier attempt's work is built on). */
  measureFrom: string;
  provider: string;
  model?: string;
  /** The labels a worker must have to take it (executor.labels); absent when none. */
  labels?: string[];
  /** Gates already failing on the base (the coordinator's baseline): their failure is not this task's. */
  baselineFailures: string[];
  context: string;
  notes?: string;
  taskScope: Pick<Task, 'id' | 'title' | 'type' | 'scope'>;
}

export interface WorkerId {
  id: string;
  host: string;
}

/**
 * A step of a running attempt, reported by its worker as it happens (the queue's progress side channel): the
 * coordinator turns each into the transition and event a local attempt makes at that point.
 */
export type AttemptProgress =
  | { type: 'session-start'; provider: string; model?: string }
  | { type: 'session-end'; exit: string; durationMs: number; inputTokens?: number; outputTokens?: number; costUsd?: number; detail?: string }
  | { type: 'gates-start' };

/** The most of each gate's log a completion carries: its end, where a failure shows. */
export const GATE_LOG_BYTES = 64 * 1024;

/** A gate's log as it travels back: its last GATE_LOG_BYTES, and how many bytes before them were cut. */
export interface GateLog {
  name: string;
  text: string;
  cutBytes: number;
}

/** What a worker completes a job with. */
export interface AttemptCompletion {
  v: typeof JOB_VERSION;
  token: string;
  /** The engine's retry of this job that produced it (a lost worker's retry has a higher one). */
  retry: number;
  result: AttemptResult;
  commit?: string;
  ref?: string;
  files: string[];
  /** Each gate's result, with what a failed one's log says failed (`failures`, for the reviewer and the next attempt). */
  gates: (GateResult & { failures?: string; note?: string })[];
  /** Each gate's log (its end), written by the coordinator where a local attempt's goes. */
  gateLogs?: GateLog[];
  /** The worker session's ledger line, summed up (the coordinator's ledger gets it: status, report and cost caps count it). */
  agent?: { exit: string; provider: string; model?: string; durationMs: number; promptBytes?: number; promptSha256?: string; inputTokens?: number; outputTokens?: number; costUsd?: number; detail?: string };
  setup?: SetupRecord;
  setupError?: boolean;
  discard?: boolean;
  negativeEvidence: string[];
  reason?: string;
  worker: WorkerId;
}

export const ATTEMPT_QUEUE = 'conductor-attempt';

/** The labels an attempt of `provider` at a task of `type` needs (executor.labels), sorted. */
export function labelsFor(labels: { providers?: Record<string, string[]>; types?: Record<string, string[]> } | undefined, provider: string, type: string): string[] {
  return [...new Set([...(labels?.providers?.[provider] ?? []), ...(labels?.types?.[type] ?? [])])].sort();
}

/** The queue key of a task's jobs: at most one live job each (the queue's policy). */
export function jobKey(run: string, task: string): string {
  return `${run}/${task}`;
}

export function integrationRef(run: string): string {
  return `refs/conductor/${run}/integration`;
}

/** Where an attempt that builds on earlier work of its task starts (the coordinator pushes it). */
export function taskBaseRef(run: string, task: string): string {
  return `refs/conductor/${run}/tasks/${task}`;
}

/** The create-only ref a worker pushes its result to; the token (with the engine's retry) is its lease. */
export function attemptRef(run: string, task: string, attempt: number, token: string, retry: number): string {
  return `refs/conductor/${run}/attempts/${task}/${attempt}-${token}-r${retry}`;
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * The completion's claims that need no git: it answers this job (its token), its ref is the one this
 * job's lease names, and a verified result names a commit. Problems, one line each; empty when it holds.
 */
export function completionProblems(job: AttemptJob, completion: unknown): string[] {
  if (typeof completion !== 'object' || completion === null) return ['the completion is not an object'];
  const c = completion as Partial<AttemptCompletion>;
  const problems: string[] = [];
  if (c.v !== JOB_VERSION) problems.push(`the completion is version ${String(c.v)}, not ${JOB_VERSION}`);
  if (c.token !== job.token) problems.push(`the completion's token ${String(c.token)} is not this job's (${job.token}): a stale worker's answer`);
  if (typeof c.retry !== 'number') problems.push('the completion names no retry');
  if (c.commit !== undefined || c.result === 'verified') {
    if (typeof c.commit !== 'string' || !SHA.test(c.commit)) problems.push(`the completion names no commit (${String(c.commit)})`);
    const expected = typeof c.retry === 'number' ? attemptRef(job.run, job.task, job.attempt, job.token, c.retry) : undefined;
    if (c.ref !== expected) problems.push(`the completion's ref ${String(c.ref)} is not the one this job's lease names (${expected ?? '?'})`);
  }
  if (!c.worker || typeof c.worker.id !== 'string' || typeof c.worker.host !== 'string') problems.push('the completion does not say which worker made it');
  return problems;
}

/**
 * Fetch exactly the completion's ref from the remote into `dir` and check it: it exists, points at the
 * named commit, and that commit descends from the job's base. Returns the problem, or undefined.
 */
export async function fetchResult(dir: string, job: AttemptJob, completion: AttemptCompletion): Promise<string | undefined> {
  const ref = completion.ref!;
  const fetched = await git(dir).run(['fetch', '--no-tags', '--quiet', job.remote, `+${ref}:${ref}`]);
  if (fetched.exitCode !== 0) return `the result ref ${ref} could not be fetched from ${job.remote}: ${fetched.stderr.trim() || `exit ${fetched.exitCode}`}`;
  const tip = (await git(dir).run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).stdout.trim();
  if (tip !== completion.commit) return `the result ref ${ref} points at ${tip || 'nothing'}, not at the completion's commit ${completion.commit}`;
  if (!(await isContainedIn(dir, job.baseCommit, tip))) return `the result commit ${tip} does not descend from the job's base ${job.baseCommit}`;
  return undefined;
}
