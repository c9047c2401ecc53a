// The rebase agent: after a "rebase" verdict, or two failed attempts, a fresh
// session gets the task as it was, what the attempt changed (diffstat), what
// failed in the gates and the review notes, and returns an improved task. It
// is checked like any backlog edit (schema, graph, context budget), must keep
// its id — and its dependencies unless it says why — and is written into
// BACKLOG.yaml with the human's comments kept. What went wrong is always
// added to its negative evidence, whatever the agent wrote.
import { relative } from 'node:path';
import { replyPathOf } from '../agents/session.js';
import { parse, stringify } from 'yaml';
import { replaceTask } from '../backlog/backlog-document.js';
import { editBacklogFile, readBacklogText } from '../backlog/backlog-file.js';
import type { Task } from '../backlog/types.js';
import { validateBacklogText } from '../backlog/validate-backlog.js';
import { formatProblem } from '../problems.js';
import { extractYaml } from './backlog-phase.js';
import { callRole, type PhaseContext } from './call-role.js';

export interface RebaseInput {
  task: Task;
  attempt: number;
  backlogPath: string;
  diffstat: string;
  gateTails: string;
  reviewNotes: string;
  /** Lessons conductor itself distilled from the failed attempts. */
  negativeEvidence: string[];
}

/** `stopped`: the session was cut short by a rate limit or Ctrl-C, not a bad answer; nothing was tried a second time. */
export type RebaseOutcome = { ok: true; task: Task; why?: string } | { ok: false; reason: string; stopped?: 'quota' | 'cancelled' };

const REBASE_SESSIONS = 2;
/** Keys the rebase agent may write; status and attempts stay conductor's and the human's. */
const DEFINITION_KEYS = ['id', 'title', 'type', 'description', 'depends_on', 'acceptance', 'scope', 'context', 'agent'] as const;

export async function rebaseTask(ctx: PhaseContext, input: RebaseInput): Promise<RebaseOutcome> {
  const { task } = input;
  let rejected: string[] = [];
  let reason = '';
  for (let session = 1; session <= REBASE_SESSIONS; session++) {
    const data = {
      task: stringify(definitionOf(task), { lineWidth: 0 }).trimEnd(),
      diffstat: input.diffstat.trim() || '(no change was committed)',
      gateTails: input.gateTails.trim(),
      reviewNotes: input.reviewNotes.trim(),
      budgetBytes: ctx.config.budgets.taskContextBytes,
      rejected,
    };
    const result = await callRole(ctx, 'rebase', data, { attempt: input.attempt, taskId: task.id, task });
    if (result.exit === 'quota') return { ok: false, reason: `the rebase agent hit a rate limit: ${result.detail ?? ''}`.trim(), stopped: 'quota' };
    if (result.exit === 'cancelled') return { ok: false, reason: 'the rebase session ended as cancelled', stopped: 'cancelled' };
    if (result.exit !== 'ok') {
      reason = `the rebase session ended as ${result.exit}${result.detail ? ` (${result.detail})` : ''}`;
      continue;
    }
    const checked = await checkRewrite(ctx, input, result.finalMessage);
    if (checked.ok) {
      const { rewritten } = checked;
      await editBacklogFile(input.backlogPath, (text) => replaceTask(text, task.id, rewritten));
      return { ok: true, task: { ...checked.task, status: task.status, attempts: task.attempts }, ...(checked.why ? { why: checked.why } : {}) };
    }
    reason = `the rebase agent's task was rejected: ${checked.problems[0]} (reply saved in ${relative(ctx.repoRoot, replyPathOf(result))})`;
    rejected = checked.problems;
    ctx.report(`rebase ${task.id}: ${reason}${session < REBASE_SESSIONS ? '; asking a new session' : ''}`);
  }
  return { ok: false, reason };
}

type Checked = { ok: true; task: Task; rewritten: Partial<Task>; why?: string } | { ok: false; problems: string[] };

async function checkRewrite(ctx: PhaseContext, input: RebaseInput, reply: string): Promise<Checked> {
  const { task } = input;
  const yamlText = extractYaml(reply);
  const why = /^\s*#\s*why:\s*(.+)$/im.exec(reply)?.[1]?.trim();
  let value: unknown;
  try {
    value = parse(yamlText, { maxAliasCount: 100 });
  } catch (error) {
    return { ok: false, problems: [`the reply is not YAML: ${(error as Error).message.split('\n')[0]}`] };
  }
  if (Array.isArray(value) && value.length === 1) value = value[0];
  if (isRecord(value) && Array.isArray(value.tasks) && value.tasks.length === 1) value = value.tasks[0];
  if (!isRecord(value)) return { ok: false, problems: ['the reply holds no task (a YAML mapping with id, title, description, acceptance)'] };
  if (value.id !== task.id) return { ok: false, problems: [`the task's id must stay ${task.id} (got ${JSON.stringify(value.id ?? null)})`] };
  const deps = Array.isArray(value.depends_on) ? value.depends_on.map(String) : [];
  if (!why && [...deps].sort().join(',') !== [...task.depends_on].sort().join(',')) {
    return { ok: false, problems: [`depends_on changed from [${task.depends_on.join(', ')}] to [${deps.join(', ')}] without a "# why:" line`] };
  }
  const rewritten: Record<string, unknown> = {};
  for (const key of DEFINITION_KEYS) if (value[key] !== undefined) rewritten[key] = value[key];
  const unknown = Object.keys(value).filter((key) => !(DEFINITION_KEYS as readonly string[]).includes(key) && key !== 'status' && key !== 'attempts');
  if (unknown.length > 0) return { ok: false, problems: [`unknown task fields: ${unknown.join(', ')}`] };
  // conductor's own lessons are kept whatever the agent wrote.
  const context = isRecord(rewritten.context) ? { ...rewritten.context } : {};
  const evidence = Array.isArray(context.negative_evidence) ? context.negative_evidence.map(String) : [];
  context.negative_evidence = [...new Set([...task.context.negative_evidence, ...evidence, ...input.negativeEvidence.map(lessonLine)])];
  rewritten.context = context;

  // Checked in place, against the backlog as it is now: schema, graph and the worker-context budget.
  const current = await readBacklogText(input.backlogPath);
  let candidate: string;
  try {
    candidate = replaceTask(current, task.id, rewritten as Partial<Task>);
  } catch (error) {
    return { ok: false, problems: [(error as Error).message] };
  }
  const report = validateBacklogText(candidate, 'the rewritten task', { repoRoot: ctx.repoRoot, taskContextBytes: ctx.config.budgets.taskContextBytes });
  if (!report.backlog) return { ok: false, problems: report.problems.map(formatProblem) };
  const next = report.backlog.tasks.find((t) => t.id === task.id)!;
  return { ok: true, task: next, rewritten: rewritten as Partial<Task>, ...(why ? { why } : {}) };
}

/** The task as the rebase agent sees it: its definition, without the life-cycle fields or empty defaults. */
function definitionOf(task: Task): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of DEFINITION_KEYS) {
    if (key === 'type' && task.type === 'code') continue; // the default
    const value = isRecord(task[key]) ? Object.fromEntries(Object.entries(task[key]).filter(([, v]) => !isEmpty(v))) : task[key];
    if (!isEmpty(value)) out[key] = value;
  }
  return out;
}

/** A lesson as one line of the task's negative evidence, which counts against the worker-context budget (a gate's failures run over several). */
export function lessonLine(lesson: string): string {
  const text = lesson.split('\n').map((line) => line.trim()).filter(Boolean).join(' | ').replace(/: \| /g, ': ');
  return text.length > LESSON_CHARS ? `${text.slice(0, LESSON_CHARS - 1)}…` : text;
}

const LESSON_CHARS = 400;

function isEmpty(value: unknown): boolean {
  return value === undefined || (Array.isArray(value) && value.length === 0) || (isRecord(value) && Object.keys(value).length === 0);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
