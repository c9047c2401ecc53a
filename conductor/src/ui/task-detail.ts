// What the dashboard shows of one task: its context file, notes, gate results
// with their distilled failures, review verdict, the diff and where its latest
// agent log is. Read only from the repository's conductor records (tasks/,
// .conductor/) and git; a path a record names outside them is not followed.
import { existsSync } from 'node:fs';
import { open, readFile, realpath } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import { TASK_ID_PATTERN } from '../backlog/types.js';
import { distillOutput } from '../gates/distill/distill.js';
import { gateOutput } from '../gates/distill/clean-output.js';
import { git } from '../git/git.js';
import { LIVE_NAMING } from '../git/worktrees.js';
import type { TaskStatus } from '../state/status-file.js';
import { resolvedPath } from '../state/portable-path.js';
import type { ConductorEvent } from '../events/event-log.js';
import type { RunStream } from '../events/run-streams.js';

const DIFF_BYTES = 400_000;
const LOG_TAIL_BYTES = 32_000;

export interface TaskDetail {
  id: string;
  context?: string;
  notes?: string;
  status?: TaskStatus;
  /** Every attempt's gate results (from the stream; the status record's last ones for a run without one). */
  gates: { attempt?: number; name: string; passed: boolean; durationMs: number; exitCode?: number | null; failures?: string }[];
  review?: { verdict: string; summary?: string };
  diff?: string;
  /** Whether the diff is of the merge into the integration branch or of the task's branch. */
  diffOf?: string;
  inputTokens: number;
  outputTokens: number;
  costUsd?: number;
}

/** Is `path` inside one of `roots` (after symlinks are resolved)? */
export async function isInside(path: string, roots: readonly string[]): Promise<boolean> {
  const real = await realpath(path).catch(() => undefined);
  if (real === undefined) return false;
  for (const root of roots) {
    const base = await realpath(root).catch(() => undefined);
    if (base === undefined) continue;
    const rel = relative(base, real);
    if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) return true;
  }
  return false;
}

export function validTaskId(id: string | null): id is string {
  return id !== null && TASK_ID_PATTERN.test(id);
}

async function readIfInside(path: string, roots: readonly string[]): Promise<string | undefined> {
  if (!existsSync(path) || !(await isInside(path, roots))) return undefined;
  return readFile(path, 'utf8');
}

export async function taskDetail(repoRoot: string, stream: RunStream, id: string, events: readonly ConductorEvent[]): Promise<TaskDetail> {
  const roots = [stream.tasksDir, join(repoRoot, '.conductor')];
  const file = (suffix: string) => readIfInside(join(stream.tasksDir, `${id}.${suffix}`), roots);
  const detail: TaskDetail = { id, gates: [], inputTokens: 0, outputTokens: 0 };
  const context = await file('context.md');
  if (context !== undefined) detail.context = context;
  const notes = await file('notes.md');
  if (notes !== undefined) detail.notes = notes;
  const statusText = await file('status.json');
  let status: TaskStatus | undefined;
  try {
    status = statusText === undefined ? undefined : (JSON.parse(statusText) as TaskStatus);
  } catch {
    status = undefined;
  }
  if (status) {
    detail.status = status;
    if (status.review) detail.review = status.review;
  }
  const streamed = events.filter((e) => e.type === 'gate-result' && e.task === id);
  type GateSeen = { attempt?: number; name: string; passed: boolean; durationMs: number; exitCode?: number | null; log?: string };
  const gates: GateSeen[] = streamed.length > 0 ? streamed.flatMap((e) => (e.type === 'gate-result' ? [e] : [])) : (status?.verification?.gates ?? []);
  for (const gate of gates) {
    const shown: TaskDetail['gates'][number] = { ...(gate.attempt !== undefined ? { attempt: gate.attempt } : {}), name: gate.name, passed: gate.passed, durationMs: gate.durationMs, ...(gate.exitCode !== undefined ? { exitCode: gate.exitCode } : {}) };
    if (!gate.passed && gate.log) {
      const log = await readIfInside(resolvedPath(repoRoot, gate.log), roots);
      // Paths the runner printed read as in the task's worktree, as the worker saw them (the record names it relative to the repository).
      const worktree = status?.worktree ? resolvedPath(repoRoot, status.worktree) : undefined;
      if (log !== undefined) shown.failures = distillOutput(gateOutput(log), worktree ? { cwd: await realpath(worktree).catch(() => worktree) } : {}).text;
    }
    detail.gates.push(shown);
  }
  for (const e of events) {
    if (e.type !== 'session-end' || e.task !== id) continue;
    detail.inputTokens += e.inputTokens ?? 0;
    detail.outputTokens += e.outputTokens ?? 0;
    if (e.costUsd !== undefined) detail.costUsd = (detail.costUsd ?? 0) + e.costUsd;
  }
  const review = [...events].reverse().find((e) => e.type === 'review' && e.task === id);
  if (review?.type === 'review') detail.review = { verdict: review.verdict, summary: review.summary };
  const diff = await diffOf(repoRoot, stream, id, status, events);
  if (diff) Object.assign(detail, diff);
  return detail;
}

/** The merge of the task into the integration branch, else its branch against its base. */
async function diffOf(repoRoot: string, stream: RunStream, id: string, status: TaskStatus | undefined, events: readonly ConductorEvent[]): Promise<{ diff: string; diffOf: string } | undefined> {
  const g = git(repoRoot);
  const feature = events.find((e) => e.type === 'backlog' && e.feature !== undefined);
  const name = feature?.type === 'backlog' && feature.feature ? feature.feature : stream.journal?.slug;
  const clip = (text: string) => (text.length > DIFF_BYTES ? `${text.slice(0, DIFF_BYTES)}\n… (cut at ${DIFF_BYTES} bytes)\n` : text);
  if (name) {
    const branch = LIVE_NAMING.integrationBranch(name);
    const log = await g.run(['log', '--merges', '--first-parent', '--format=%H %s', branch]);
    const merge = log.exitCode === 0 ? log.stdout.split('\n').find((line) => line.slice(41).startsWith(`Merge ${id}:`)) : undefined;
    if (merge) {
      const sha = merge.slice(0, 40);
      const diff = await g.run(['diff', `${sha}^1`, sha]);
      if (diff.exitCode === 0) return { diff: clip(diff.stdout), diffOf: `the merge into ${branch} (${sha.slice(0, 8)})` };
    }
  }
  if (status?.branch && status.baseCommit) {
    const diff = await g.run(['diff', status.baseCommit, status.branch]);
    if (diff.exitCode === 0) return { diff: clip(diff.stdout), diffOf: `${status.branch} since ${status.baseCommit.slice(0, 8)}` };
  }
  return undefined;
}

/** The end of the task's latest agent session log, when it is in .conductor/. */
export async function logTail(repoRoot: string, id: string, events: readonly ConductorEvent[]): Promise<{ role: string; attempt: number; text: string; live: boolean } | undefined> {
  const starts = events.filter((e) => e.type === 'session-start' && e.task === id);
  const last = starts.at(-1);
  if (last?.type !== 'session-start') return undefined;
  if (!(await isInside(last.log, [join(repoRoot, '.conductor')]))) return undefined;
  const handle = await open(last.log, 'r');
  try {
    const { size } = await handle.stat();
    const from = Math.max(0, size - LOG_TAIL_BYTES);
    const buffer = Buffer.alloc(size - from);
    await handle.read(buffer, 0, buffer.length, from);
    const live = !events.some((e) => e.type === 'session-end' && e.sessionId === last.sessionId);
    return { role: last.role, attempt: last.attempt, text: buffer.toString('utf8'), live };
  } finally {
    await handle.close();
  }
}
