// What `conductor status` says about the runs besides the live one (#15): the
// earlier runs a new `conductor run` archived to .conductor/runs/<id>/ and the
// factory builds in .conductor/factory/<tag>/ — a short list, and one of them
// in full with `status --run <id>`. Read-only.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validateBacklogFile } from '../backlog/validate-backlog.js';
import { ConductorError } from '../errors.js';
import { readBuildRecords, type FactoryBuildRecord } from '../phases/factory.js';
import type { RunJournal, RunState } from '../state/run-journal.js';
import { lockHeld } from '../state/run-lock.js';
import type { RowSource } from './read-rows.js';
import { describeRun, type RunView } from './run-view.js';

export interface EarlierRun {
  /** What `status --run` takes: an archived run's id, or a factory build's tag. */
  id: string;
  kind: 'run' | 'factory';
  /** The conductor run that made it (a factory run may make several builds). */
  runId: string;
  /** The feature, or the spec a factory build built. */
  feature: string;
  /** running, paused, interrupted, failed, finished; `abandoned` for a run closed by `conductor abandon`. */
  state: RunState | 'abandoned';
  /** Its tasks done and in all; null when its backlog is missing or not valid. */
  tasks: { done: number; total: number } | null;
  startedAt?: string;
  /** Where its records are, relative to the repository. */
  records: string;
}

/** An earlier run in full: the view `status` prints above its task table, and where its tasks are. */
export interface EarlierRunView extends RunView {
  kind: 'run' | 'factory';
  records: string;
}

interface Found {
  entry: EarlierRun;
  view: EarlierRunView;
  backlogPath: string;
  source: RowSource;
}

/** Every earlier run and factory build, newest first. */
export async function listEarlierRuns(repoRoot: string): Promise<EarlierRun[]> {
  return (await findAll(repoRoot)).map((f) => f.entry);
}

/** The earlier run or factory build `wanted` names (an id, a unique prefix of one, or factory/<tag>). */
export async function findEarlierRun(repoRoot: string, wanted: string): Promise<Found> {
  const all = await findAll(repoRoot);
  const name = wanted.replace(/^factory\//, '');
  const exact = all.filter((f) => f.entry.id === name);
  const matches = exact.length > 0 ? exact : all.filter((f) => f.entry.id.startsWith(name));
  if (matches.length === 1) return matches[0]!;
  const known = all.slice(0, 5).map((f) => f.entry.id).join(', ');
  if (matches.length === 0) {
    throw new ConductorError('USAGE', `no earlier run or factory build ${wanted}`, {
      hint: all.length ? `newest first: ${known}${all.length > 5 ? ', …' : ''} (conductor status lists them)` : 'there are none yet: .conductor/runs/ and .conductor/factory/ are empty; conductor status shows the live run',
    });
  }
  throw new ConductorError('USAGE', `${wanted} matches ${matches.length} earlier runs`, { hint: `give more of the id: ${matches.map((f) => f.entry.id).join(', ')}` });
}

async function findAll(repoRoot: string): Promise<Found[]> {
  const conductorDir = join(repoRoot, '.conductor');
  const found: Found[] = [];
  const runsDir = join(conductorDir, 'runs');
  for (const id of existsSync(runsDir) ? await readdir(runsDir) : []) {
    const journal = await readArchived(join(runsDir, id, 'run.json'));
    if (!journal) continue;
    const records = `.conductor/runs/${id}/tasks`;
    const view = describeRun(journal, false);
    const backlogPath = join(runsDir, id, 'tasks', 'BACKLOG.yaml');
    found.push({
      entry: { id: journal.runId, kind: 'run', runId: journal.runId, feature: journal.slug, state: journal.closed?.how === 'abandoned' ? 'abandoned' : view.state, tasks: await countTasks(backlogPath, records), startedAt: journal.startedAt, records },
      view: { ...view, kind: 'run', records, next: `nothing: an earlier run, kept in ${records}/ (conductor report --run ${journal.runId.slice(0, 8)} for what it cost)` },
      backlogPath,
      source: { tasksDir: join(runsDir, id, 'tasks'), calls: (e) => e.runId === journal.runId },
    });
  }
  const builds = await readBuildRecords(conductorDir);
  const live = builds.some((b) => b.state === 'running') && (await lockHeld(conductorDir));
  for (const build of builds) {
    const records = `.conductor/factory/${build.tag}`;
    const backlogPath = join(conductorDir, 'factory', build.tag, 'BACKLOG.yaml');
    const state: RunState = build.state === 'running' ? (live ? 'running' : 'interrupted') : build.state;
    const view: EarlierRunView = {
      runId: build.runId,
      feature: build.spec,
      phase: 'implement',
      state,
      startedAt: build.startedAt ?? '',
      updatedAt: build.endedAt ?? build.startedAt ?? '',
      next: factoryNext(build, state),
      kind: 'factory',
      records,
    };
    found.push({
      entry: { id: build.tag, kind: 'factory', runId: build.runId, feature: build.spec, state, tasks: await countTasks(backlogPath, records), ...(build.startedAt ? { startedAt: build.startedAt } : {}), records },
      view,
      backlogPath,
      source: { tasksDir: join(conductorDir, 'factory', build.tag), calls: (e) => e.runId === build.runId && (build.startedAt === undefined || e.at >= build.startedAt) && (build.endedAt === undefined || e.at <= build.endedAt) },
    });
  }
  return found.sort((a, b) => (b.entry.startedAt ?? '').localeCompare(a.entry.startedAt ?? ''));
}

function factoryNext(build: FactoryBuildRecord, state: RunState): string {
  switch (state) {
    case 'running':
      return 'nothing: it is running';
    case 'interrupted':
      return `conductor factory specs/${build.spec} resumes it`;
    case 'failed':
      return `read .conductor/factory/${build.tag}/<id>.notes.md of its unfinished tasks; conductor factory specs/${build.spec} builds it again`;
    default:
      return `nothing: its result is the branch factory/${build.tag}`;
  }
}

async function readArchived(path: string): Promise<RunJournal | undefined> {
  try {
    const value = JSON.parse(await readFile(path, 'utf8')) as RunJournal;
    return typeof value.runId === 'string' && typeof value.slug === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

async function countTasks(path: string, records: string): Promise<EarlierRun['tasks']> {
  if (!existsSync(path)) return null;
  const report = await validateBacklogFile(path, `${records}/BACKLOG.yaml`, { taskContextBytes: Number.POSITIVE_INFINITY });
  if (!report.backlog) return null;
  return { done: report.backlog.tasks.filter((t) => t.status === 'done').length, total: report.backlog.tasks.length };
}

/** The lines after the live run's table: at most `limit` earlier runs, newest first. */
export function earlierRunLines(runs: readonly EarlierRun[], limit = 5): string[] {
  if (runs.length === 0) return [];
  const shown = runs.slice(0, limit);
  const rows = shown.map((r) => [r.kind, r.kind === 'run' ? r.id.slice(0, 8) : r.id, r.feature, r.state, r.tasks ? `${r.tasks.done}/${r.tasks.total} done` : 'no backlog', r.startedAt ? r.startedAt.slice(0, 16).replace('T', ' ') : '-']);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return [
    'earlier runs, newest first (conductor status --run <id> shows one):',
    ...rows.map((row) => `  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}`),
    ...(runs.length > limit ? [`  … ${runs.length - limit} more (conductor status --json lists them all)`] : []),
  ];
}
