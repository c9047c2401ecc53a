// `conductor report`, the reading: which run, its ledger lines, the tasks'
// status files and dependencies, the saved prompts of its workers and
// reviewers, and the planning documents to look for in them. Read-only.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readLedger } from '../agents/ledger.js';
import { validateBacklogFile } from '../backlog/validate-backlog.js';
import type { ConductorConfig } from '../config/types.js';
import { ConductorError } from '../errors.js';
import { peekTaskStatus } from '../state/status-file.js';
import { findPlanningDebris, type PlanningDoc, type PromptText } from './planning-debris.js';
import { computeRunReport, runIds, type ReportTask, type RunReport } from './run-report.js';

const PLANNING_DOCS = ['context.md', 'SPEC.md', 'ARCH.md', 'QA.md', 'PLAN.md'];

export interface LoadedReport {
  report: RunReport;
  warnings: string[];
}

/** The report of run `wanted` (an id or a unique prefix), else of the last run in the ledger. */
export async function loadRunReport(repoRoot: string, config: ConductorConfig, wanted?: string): Promise<LoadedReport> {
  const conductorDir = join(repoRoot, '.conductor');
  const warnings: string[] = [];
  const { entries, skipped } = await readLedger(conductorDir);
  for (const s of skipped) warnings.push(`.conductor/sessions.jsonl:${s.line}: skipped (${s.reason})`);
  const ids = runIds(entries);
  if (ids.length === 0) throw new ConductorError('INPUT_INVALID', 'no run recorded in this repository yet', { hint: 'conductor run, resume, implement, plan and backlog record their agent calls in .conductor/sessions.jsonl' });
  const runId = pickRun(ids, wanted);

  // A factory run's tasks live in its own records; every other run's in tasks/.
  const builds = await factoryBuildsOf(conductorDir, runId);
  if (builds.length > 1) warnings.push(`this factory run built ${builds.length} specs; the task figures are those of the last, ${builds.at(-1)}`);
  const tasksDir = builds.length > 0 ? join(conductorDir, 'factory', builds.at(-1)!) : join(repoRoot, 'tasks');
  const tasksName = builds.length > 0 ? `.conductor/factory/${builds.at(-1)}` : 'tasks';
  const tasks: ReportTask[] = [];
  const backlog = await validateBacklogFile(join(tasksDir, 'BACKLOG.yaml'), `${tasksName}/BACKLOG.yaml`, { taskContextBytes: config.budgets.taskContextBytes });
  const known = backlog.backlog?.tasks.map((t) => ({ id: t.id, depends_on: t.depends_on })) ?? [];
  if (!backlog.backlog) warnings.push(`${tasksName}/BACKLOG.yaml is missing or not valid: task dependencies are unknown, so the critical path counts each task alone`);
  const ledgerTasks = [...new Set(entries.filter((e) => e.runId === runId && e.taskId !== undefined).map((e) => e.taskId!))];
  for (const id of ledgerTasks) if (!known.some((t) => t.id === id)) known.push({ id, depends_on: [] });
  for (const task of known) {
    const read = await peekTaskStatus(tasksDir, task.id);
    if (read.kind === 'corrupt') warnings.push(`${tasksName}/${task.id}.status.json is unreadable (${read.reason}); its times are left out`);
    tasks.push(read.kind === 'ok' ? { ...task, status: read.status } : task);
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

/** The factory builds (their tags, oldest first) that run `runId` made. */
async function factoryBuildsOf(conductorDir: string, runId: string): Promise<string[]> {
  const root = join(conductorDir, 'factory');
  if (!existsSync(root)) return [];
  const found: { tag: string; at: number }[] = [];
  for (const tag of readdirSync(root)) {
    const text = await readFile(join(root, tag, 'run.json'), 'utf8').catch(() => '');
    try {
      if ((JSON.parse(text) as { runId?: unknown }).runId === runId) found.push({ tag, at: statSync(join(root, tag, 'run.json')).mtimeMs });
    } catch {
      // not a factory build's record (or an unreadable one): not this run's
    }
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.tag);
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
