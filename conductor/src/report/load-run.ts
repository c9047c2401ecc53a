// `conductor report`, the reading: which run, its ledger lines, the tasks'
// status files and dependencies, the saved prompts of its workers and
// reviewers, and the planning documents to look for in them. Read-only.
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readLedger } from '../agents/ledger.js';
import { validateBacklogFile } from '../backlog/validate-backlog.js';
import type { ConductorConfig } from '../config/types.js';
import { ConductorError } from '../errors.js';
import { readBuildRecords } from '../phases/factory.js';
import { peekTaskStatus } from '../state/status-file.js';
import { findPlanningDebris, type PlanningDoc, type PromptText } from './planning-debris.js';
import { computeRunReport, runIds, type ReportTask, type RunReport } from './run-report.js';

const PLANNING_DOCS = ['context.md', 'SPEC.md', 'ARCH.md', 'QA.md', 'PLAN.md'];

/** Where a run's task records are; `prefix`, `from` and `to` when one factory run built several specs. */
interface TaskSource {
  dir: string;
  name: string;
  prefix?: string;
  from?: string;
  to?: string | undefined;
}

export interface LoadedReport {
  report: RunReport;
  warnings: string[];
}

/** The report of run `wanted` (an id or a unique prefix), else of the last run in the ledger. */
export async function loadRunReport(repoRoot: string, config: ConductorConfig, wanted?: string): Promise<LoadedReport> {
  const conductorDir = join(repoRoot, '.conductor');
  const warnings: string[] = [];
  const ledger = await readLedger(conductorDir);
  const { skipped } = ledger;
  let entries = ledger.entries;
  for (const s of skipped) warnings.push(`.conductor/sessions.jsonl:${s.line}: skipped (${s.reason})`);
  const ids = runIds(entries);
  if (ids.length === 0) throw new ConductorError('INPUT_INVALID', 'no run recorded in this repository yet', { hint: 'conductor run, resume, implement, plan and backlog record their agent calls in .conductor/sessions.jsonl' });
  const runId = pickRun(ids, wanted);

  // A factory run's tasks live in its own records (one folder per spec it built); an earlier run's were archived
  // to .conductor/runs/<id>/tasks/ when the next run started; the live run's are in tasks/.
  const builds = (await readBuildRecords(conductorDir)).filter((b) => b.runId === runId);
  const archived = join(conductorDir, 'runs', runId, 'tasks');
  const sources: TaskSource[] = builds.length > 0
    ? builds.map((b) => ({ dir: join(conductorDir, 'factory', b.tag), name: `.conductor/factory/${b.tag}`, ...(builds.length > 1 ? { prefix: `${b.spec}:`, from: b.startedAt ?? '', to: b.endedAt } : {}) }))
    : [existsSync(archived) ? { dir: archived, name: `.conductor/runs/${runId}/tasks` } : { dir: join(repoRoot, 'tasks'), name: 'tasks' }];
  // With several specs, task ids repeat (T01 in each): a task is named <spec>:<id>, and a ledger line belongs to the build running at its time.
  if (builds.length > 1) entries = entries.map((e) => (e.runId === runId && e.taskId !== undefined ? { ...e, taskId: `${sources.find((src) => src.from! <= e.at && (src.to === undefined || e.at <= src.to))?.prefix ?? ''}${e.taskId}` } : e));
  const tasks: ReportTask[] = [];
  const known: { id: string; depends_on: string[]; dir: string; name: string; own: string }[] = [];
  for (const src of sources) {
    const prefix = src.prefix ?? '';
    const backlog = await validateBacklogFile(join(src.dir, 'BACKLOG.yaml'), `${src.name}/BACKLOG.yaml`, { taskContextBytes: config.budgets.taskContextBytes });
    if (!backlog.backlog) warnings.push(`${src.name}/BACKLOG.yaml is missing or not valid: task dependencies are unknown, so the critical path counts each task alone`);
    for (const t of backlog.backlog?.tasks ?? []) known.push({ id: `${prefix}${t.id}`, depends_on: t.depends_on.map((d) => `${prefix}${d}`), dir: src.dir, name: src.name, own: t.id });
  }
  const ledgerTasks = [...new Set(entries.filter((e) => e.runId === runId && e.taskId !== undefined).map((e) => e.taskId!))];
  for (const id of ledgerTasks) if (!known.some((t) => t.id === id)) known.push({ id, depends_on: [], dir: sources[0]!.dir, name: sources[0]!.name, own: id });
  for (const { dir, name, own, ...task } of known) {
    const read = await peekTaskStatus(dir, own);
    if (read.kind === 'corrupt') warnings.push(`${name}/${own}.status.json is unreadable (${read.reason}); its times are left out`);
    tasks.push(read.kind === 'ok' ? { ...task, status: { ...read.status, id: task.id } } : task);
  }

  const prompts: PromptText[] = [];
  let missing = 0;
  for (const entry of entries) {
    if (entry.runId !== runId || (entry.role !== 'implementer' && entry.role !== 'reviewer')) continue;
    const file = join(conductorDir, 'sessions', entry.sessionId, 'prompt.md');
    if (!existsSync(file)) {
      missing++;
      continue;
    }
    prompts.push({ sessionId: entry.sessionId, role: entry.role, ...(entry.taskId ? { taskId: entry.taskId } : {}), text: await readFile(file, 'utf8') });
  }
  const hits = findPlanningDebris(prompts, await planningDocs(repoRoot));

  const report = computeRunReport({
    runId,
    entries,
    tasks,
    pricing: config.pricing,
    concurrency: config.concurrency,
    taskContextBytes: config.budgets.taskContextBytes,
    caps: config.budgets.maxCostUsd,
    debris: { checked: prompts.length, missing, hits },
  });
  return { report, warnings };
}

function pickRun(ids: readonly string[], wanted: string | undefined): string {
  if (wanted === undefined) return ids[ids.length - 1]!;
  const matches = ids.filter((id) => id.startsWith(wanted));
  if (matches.length === 1) return matches[0]!;
  const recent = ids.slice(-5).reverse().join(', ');
  if (matches.length === 0) throw new ConductorError('USAGE', `no run ${wanted} in .conductor/sessions.jsonl`, { hint: `recent runs, newest first: ${recent}` });
  throw new ConductorError('USAGE', `${wanted} matches ${matches.length} runs`, { hint: 'give more of the run id' });
}

/** Every planning document under specs/<feature>/. */
async function planningDocs(repoRoot: string): Promise<PlanningDoc[]> {
  const specs = join(repoRoot, 'specs');
  if (!existsSync(specs)) return [];
  const docs: PlanningDoc[] = [];
  for (const dir of readdirSync(specs, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const name of PLANNING_DOCS) {
      const file = join(specs, dir.name, name);
      if (existsSync(file)) docs.push({ path: `specs/${dir.name}/${name}`, text: await readFile(file, 'utf8') });
    }
  }
  return docs;
}
