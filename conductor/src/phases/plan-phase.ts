// Phase 1: three planners in parallel, each a fresh session that sees only
// context.md (repo map + feature request), then a fresh merge session that
// writes PLAN.md. A failed planner gets one new session; a second failure
// stops the phase, keeping the documents that were written. A document is
// taken as models write it: a preamble before its first heading, or a fence
// around the whole of it, is left out (the reply itself stays in the session's
// output.md).
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { replyPathOf } from '../agents/session.js';
import { ConductorError } from '../errors.js';
import type { FeatureRequest } from '../intake/feature-request.js';
import { refreshRepoMap } from '../repo-map/refresh-map.js';
import type { Role } from '../config/types.js';
import { callRole, type PhaseContext } from './call-role.js';

export const PLANNERS: readonly [Role, string][] = [
  ['planner-spec', 'SPEC.md'],
  ['planner-arch', 'ARCH.md'],
  ['planner-qa', 'QA.md'],
];

export const PLAN_SECTIONS = ['Problem Statement', 'Requirements', 'Architecture', 'Test Plan', 'Risks & Mitigations', 'Implementation Steps'] as const;

export interface PlanResult {
  specDir: string;
  planPath: string;
  /** PLAN.md sections the merge left out (a warning, not an error). */
  missingSections: string[];
}

/**
 * `keepSince`: a resumed run keeps the documents it had written since it started (a document is written only
 * when whole), and runs no session for them; an older one, from an earlier run of the same feature, is redone.
 */
export async function runPlanPhase(ctx: PhaseContext, request: FeatureRequest, options: { keepSince?: number } = {}): Promise<PlanResult> {
  const keep = async (path: string) => (options.keepSince === undefined ? undefined : written(path, options.keepSince));
  const specDir = join(ctx.repoRoot, 'specs', request.slug);
  await mkdir(specDir, { recursive: true });
  const map = await refreshRepoMap(ctx.repoRoot, { budgetBytes: ctx.config.budgets.repoMapBytes, docsDir: ctx.config.docsDir });
  const context = `${(await readFile(map.path, 'utf8')).trimEnd()}\n\n---\n\n${request.text.trimEnd()}\n`;
  await writeFile(join(specDir, 'context.md'), context);
  ctx.report(`plan: ${PLANNERS.length} planners in parallel on specs/${request.slug}/context.md (${Buffer.byteLength(context)} bytes)`);

  const outcomes = await Promise.allSettled(
    PLANNERS.map(async ([role, file]) => {
      if ((await keep(join(specDir, file))) !== undefined) return ctx.report(`plan: ${file} kept (written before the run stopped)`);
      const text = await documentWithRetry(ctx, role, { context });
      await writeFile(join(specDir, file), text);
      ctx.report(`plan: ${file} written (${role})`);
    }),
  );
  const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => (o.reason as Error).message);
  if (failures.length > 0) {
    throw new ConductorError('PHASE_FAILED', `planning failed: ${failures.join('; ')}`, { hint: `the other documents are kept in specs/${request.slug}/; fix the cause and run the plan again` });
  }

  const [spec, arch, qa] = await Promise.all(PLANNERS.map(([, file]) => readFile(join(specDir, file), 'utf8')));
  const planPath = join(specDir, 'PLAN.md');
  const kept = await keep(planPath);
  if (kept !== undefined) ctx.report('plan: PLAN.md kept (written before the run stopped)');
  const plan = kept ?? await documentWithRetry(ctx, 'plan-merge', { spec, arch, qa }).catch((error: unknown) => {
    if (error instanceof ConductorError && error.code === 'PHASE_FAILED') {
      throw new ConductorError('PHASE_FAILED', `planning failed: ${error.message}`, { hint: `SPEC.md, ARCH.md and QA.md are kept in specs/${request.slug}/; fix the cause and run the plan again` });
    }
    throw error;
  });
  if (kept === undefined) await writeFile(planPath, plan.endsWith('\n') ? plan : `${plan}\n`);
  const headings = [...plan.matchAll(/^#{1,3}\s+(.+?)\s*$/gm)].map((m) => m[1]!.toLowerCase());
  const missingSections = PLAN_SECTIONS.filter((s) => !headings.some((h) => h.includes(s.toLowerCase())));
  ctx.report(`plan: PLAN.md written${missingSections.length ? ` (missing sections: ${missingSections.join(', ')})` : ''}`);
  return { specDir, planPath, missingSections };
}

/** A document's text when it was written since `since` (ms) and is not empty. */
async function written(path: string, since: number): Promise<string | undefined> {
  const modified = await stat(path).then((s) => s.mtimeMs, () => -Infinity);
  const text = modified >= since ? await readFile(path, 'utf8').catch(() => '') : '';
  return text.trim() === '' ? undefined : text;
}

/** A document from a role: one retry in a new session, then a clear failure. */
async function documentWithRetry(ctx: PhaseContext, role: Role, data: Record<string, unknown>): Promise<string> {
  let last = '';
  for (const attempt of [1, 2]) {
    const result = await callRole(ctx, role, data, { attempt });
    const document = result.exit === 'ok' ? documentFromReply(result.finalMessage) : '';
    if (document.trim() !== '') return document;
    if (result.exit === 'cancelled') throw new ConductorError('INTERRUPTED', 'interrupted');
    last = result.exit === 'ok' ? `${role} gave no document (reply saved in ${relative(ctx.repoRoot, replyPathOf(result))})` : `${role} ${result.exit}${result.detail ? ` (${result.detail})` : ''}`;
    ctx.report(`plan: ${last}${attempt === 1 ? '; retrying in a new session' : ''}`);
  }
  throw new ConductorError('PHASE_FAILED', `${last}, twice`);
}

const HEADING = /^#{1,6}\s/;
const OPEN_FENCE = /^\s*(`{3,}|~{3,})\s*(markdown|md)?\s*$/i;

/** A role's document in its reply: the inside of a fence around the whole document, from its first heading on. */
export function documentFromReply(reply: string): string {
  let lines = reply.replace(/\r\n/g, '\n').split('\n');
  const open = lines.findIndex((line) => OPEN_FENCE.test(line));
  const heading = lines.findIndex((line) => HEADING.test(line));
  if (open !== -1 && (heading === -1 || open < heading)) {
    const fence = OPEN_FENCE.exec(lines[open]!)![1]!;
    // The document's own code blocks close inside it: the fence around it closes last (or never, when the reply was cut off).
    const close = lines.findLastIndex((line, i) => i > open && line.trim() === fence);
    const inside = lines.slice(open + 1, close === -1 ? undefined : close);
    const after = close === -1 ? [] : lines.slice(close + 1);
    if (inside.some((line) => HEADING.test(line)) && !after.some((line) => HEADING.test(line))) lines = inside;
  }
  const first = lines.findIndex((line) => HEADING.test(line));
  if (first > 0) lines = lines.slice(first);
  return `${lines.join('\n').trim()}\n`;
}
