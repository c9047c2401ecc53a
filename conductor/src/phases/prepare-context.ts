// A worker's context within budget, or the reason it cannot be: deterministic
// fitting first (fitTaskContext), then the compressor role in a fresh session.
// The compressor's reply is taken only when it fits and still names the task's
// id, title and every acceptance criterion; otherwise the task is blocked.
import { relative } from 'node:path';
import { replyPathOf } from '../agents/session.js';
import type { Task } from '../backlog/types.js';
import { callRole, type PhaseContext } from './call-role.js';
import { formatCount } from '../util/format.js';
import { fitTaskContext, tidy } from '../context/fit-context.js';
import { contextBytes } from '../context/task-context.js';

export type PreparedContext =
  | { ok: true; text: string; bytes: number; compressed: boolean }
  | { ok: false; result: 'blocked' | 'cancelled' | 'quota'; reason: string; bytes: number };

export async function prepareTaskContext(ctx: PhaseContext, task: Task, attempt: number, render: (task: Task) => string): Promise<PreparedContext> {
  const budget = ctx.config.budgets.taskContextBytes;
  const fitted = fitTaskContext(task, budget, render);
  if (fitted.fits) return { ok: true, text: fitted.text, bytes: fitted.bytes, compressed: false };
  const over = `its worker context is ${formatCount(fitted.bytes)} bytes, ${formatCount(fitted.bytes - budget)} over the ${formatCount(budget)}-byte budget even without ${fitted.dropped.join(' and ') || 'optional sections'}`;
  const blocked = (why: string): PreparedContext => ({ ok: false, result: 'blocked', reason: `${over}; ${why}`, bytes: fitted.bytes });

  ctx.report(`implement: ${task.id}'s context is ${formatCount(fitted.bytes - budget)} bytes over budget; asking the compressor`);
  const agent = await callRole(ctx, 'compressor', { context: fitted.text, budgetBytes: budget, currentBytes: fitted.bytes, task }, { attempt, taskId: task.id });
  if (agent.exit === 'cancelled') return { ok: false, result: 'cancelled', reason: 'cancelled', bytes: fitted.bytes };
  if (agent.exit === 'quota') return { ok: false, result: 'quota', reason: `the compressor hit a rate limit: ${agent.detail ?? ''}`.trim(), bytes: fitted.bytes };
  if (agent.exit !== 'ok') return blocked(`the compressor ${agent.exit}${agent.detail ? `: ${agent.detail}` : ''}`);

  const text = tidy(unfence(agent.finalMessage));
  const bytes = contextBytes(text);
  const saved = `(reply saved in ${relative(ctx.repoRoot, replyPathOf(agent))})`;
  if (bytes > budget) return blocked(`the compressor's version is ${formatCount(bytes)} bytes, still ${formatCount(bytes - budget)} over ${saved}`);
  const lost = lostRequirement(text, task);
  if (lost) return blocked(`the compressor's version left out ${lost} ${saved}`);
  return { ok: true, text, bytes, compressed: true };
}

/** What a compressed context must keep, word for word up to whitespace: the first missing item, described. */
export function lostRequirement(text: string, task: Task): string | undefined {
  const flat = squash(text);
  if (!flat.includes(task.id)) return `the task id ${task.id}`;
  if (!flat.includes(squash(task.title))) return `the title ${JSON.stringify(task.title)}`;
  const criterion = task.acceptance.find((line) => !flat.includes(squash(line)));
  return criterion === undefined ? undefined : `acceptance criterion ${JSON.stringify(criterion)}`;
}

/** Agents like to wrap a whole document in a code fence; the fence is not the document. */
function unfence(reply: string): string {
  const match = /^```[\w-]*\n([\s\S]*?)\n```$/.exec(reply.trim());
  return match ? match[1]! : reply;
}

function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
