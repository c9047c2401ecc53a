// Phase 2: a fresh session turns PLAN.md into a backlog; conductor extracts
// the YAML (repairing what models commonly get wrong, backlog-reply.ts),
// validates it, and on errors starts a new session with the errors as negative
// evidence, at most twice more. The accepted backlog is written
// with its $schema line, a checklist view, and a copy in the spec folder.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { replyPathOf } from '../agents/session.js';
import { ConductorError } from '../errors.js';
import { formatProblem, type Problem } from '../problems.js';
import { renderBacklog, schemaReference, writeSchemaBeside } from '../backlog/backlog-document.js';
import { readBacklogReply } from '../backlog/backlog-reply.js';
import { validateBacklogText } from '../backlog/validate-backlog.js';
import type { Backlog, Task } from '../backlog/types.js';
import { writeFileAtomically } from '../state/atomic-write.js';
import { renderBacklogMd } from '../state/backlog-md.js';
import { callRole, type PhaseContext } from './call-role.js';
import { BACKLOG_SUMMARY } from './backlog-summary.js';

export const BACKLOG_SESSIONS = 3;

export interface BacklogInput {
  plan: string;
  slug: string;
  /** Globs from the request's "Don't touch", added to every task. */
  dontTouch: readonly string[];
  /** Where to archive a copy (specs/<slug>/BACKLOG.yaml). */
  specDir?: string;
}

export interface BacklogChanges {
  added: string[];
  removed: string[];
  modified: string[];
}

export interface BacklogResult {
  path: string;
  backlog: Backlog;
  sessions: number;
  /** Against a backlog that was already there (its task states are kept). */
  changes?: BacklogChanges;
}

/** The YAML in a reply: a fenced ```yaml block if there is one, else the reply itself. */
export function extractYaml(reply: string): string {
  const fenced = /```ya?ml[^\n]*\n([\s\S]*?)```/i.exec(reply) ?? /```\n([\s\S]*?)```/.exec(reply);
  return (fenced ? fenced[1]! : reply).trim() + '\n';
}

export async function runBacklogPhase(ctx: PhaseContext, input: BacklogInput): Promise<BacklogResult> {
  const path = join(ctx.repoRoot, 'tasks', 'BACKLOG.yaml');
  let errors: string[] = [];
  let problems: Problem[] = [];
  let reply = '';
  for (let session = 1; session <= BACKLOG_SESSIONS; session++) {
    const result = await callRole(ctx, 'backlog', { plan: input.plan, schemaSummary: BACKLOG_SUMMARY, budgetBytes: ctx.config.budgets.taskContextBytes, feature: input.slug, errors, attempt: session }, { attempt: session });
    if (result.exit === 'cancelled') throw new ConductorError('INTERRUPTED', 'interrupted');
    reply = relative(ctx.repoRoot, replyPathOf(result));
    if (result.exit !== 'ok') {
      errors = [`the previous session ended as ${result.exit}${result.detail ? `: ${result.detail}` : ''}; reply with the backlog YAML only`];
      ctx.report(`backlog: session ${session} ${result.exit}`);
      continue;
    }
    const { report, repairs } = readBacklogReply(result.finalMessage, 'BACKLOG.yaml', { repoRoot: ctx.repoRoot, taskContextBytes: ctx.config.budgets.taskContextBytes });
    if (repairs.length > 0) ctx.report(`backlog: session ${session}: put right in the reply: ${repairs.join('; ')}`);
    if (report.backlog) {
      const previous = await previousBacklog(path);
      const backlog = finish(report.backlog, input, previous);
      const text = renderBacklog(backlog, schemaReference());
      await writeSchemaBeside(dirname(path));
      await writeFileAtomically(path, text);
      await writeFileAtomically(join(ctx.repoRoot, 'tasks', 'BACKLOG.md'), renderBacklogMd(backlog));
      if (input.specDir) {
        await writeSchemaBeside(input.specDir);
        await writeFileAtomically(join(input.specDir, 'BACKLOG.yaml'), text);
      }
      ctx.report(`backlog: ${backlog.tasks.length} tasks accepted after ${session} session${session === 1 ? '' : 's'}`);
      const changes = previous ? compare(previous, backlog) : undefined;
      if (changes) ctx.report(`backlog: against the previous backlog ${describeChanges(changes)}; states of kept tasks carried over`);
      return { path, backlog, sessions: session, ...(changes ? { changes } : {}) };
    }
    problems = report.problems;
    errors = problems.map(formatProblem);
    ctx.report(`backlog: session ${session} gave ${problems.length} problem${problems.length === 1 ? '' : 's'} (reply saved in ${reply})${session < BACKLOG_SESSIONS ? '; a new session gets them as negative evidence' : ''}`);
  }
  throw new ConductorError('PHASE_FAILED', `no valid backlog after ${BACKLOG_SESSIONS} sessions (last reply saved in ${reply})`, { problems, hint: 'improve PLAN.md or write tasks/BACKLOG.yaml by hand, then run conductor validate' });
}

/** The feature's slug, the request's forbidden paths on every task, and the states of tasks that already existed. */
function finish(backlog: Backlog, input: BacklogInput, previous: Backlog | undefined): Backlog {
  const before = new Map((previous?.tasks ?? []).map((task) => [task.id, task]));
  const tasks = backlog.tasks.map((task): Task => {
    const forbidden = [...new Set([...task.scope.forbidden, ...input.dontTouch])];
    const old = before.get(task.id);
    return { ...task, scope: { ...task.scope, forbidden }, status: old?.status ?? 'pending', attempts: old?.attempts ?? 0 };
  });
  return { version: 1, feature: input.slug, tasks };
}

async function previousBacklog(path: string): Promise<Backlog | undefined> {
  if (!existsSync(path)) return undefined;
  return validateBacklogText(await readFile(path, 'utf8'), path).backlog;
}

export function describeChanges({ added, removed, modified }: BacklogChanges): string {
  const part = (n: string[], word: string) => `${n.length} ${word}${n.length ? ` (${n.join(', ')})` : ''}`;
  return `${part(added, 'added')}, ${part(removed, 'removed')}, ${part(modified, 'modified')}`;
}

function compare(before: Backlog, after: Backlog): BacklogChanges {
  const old = new Map(before.tasks.map((t) => [t.id, t]));
  const now = new Set(after.tasks.map((t) => t.id));
  const definition = (t: Task) => JSON.stringify({ ...t, status: undefined, attempts: undefined });
  return {
    added: after.tasks.filter((t) => !old.has(t.id)).map((t) => t.id),
    removed: before.tasks.filter((t) => !now.has(t.id)).map((t) => t.id),
    modified: after.tasks.filter((t) => old.has(t.id) && definition(old.get(t.id)!) !== definition(t)).map((t) => t.id),
  };
}
