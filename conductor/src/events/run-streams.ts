// Which runs a repository has and where each one's event stream is: the
// current run's in .conductor/, earlier ones' in .conductor/runs/<id>/.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConductorError } from '../errors.js';
import { readJournal, type RunJournal } from '../state/run-journal.js';
import { eventsPath } from './event-log.js';

export interface RunStream {
  /** The run's id; "current" for a live stream with no run record (`conductor implement`). */
  id: string;
  current: boolean;
  journal?: RunJournal;
  /** Its event file (it may not exist: a run from before events were recorded). */
  eventsFile: string;
  /** Its task records: tasks/ for the current run, the archive's tasks/ for earlier ones. */
  tasksDir: string;
}

/** The current run first (when there is one or a stream exists), then earlier runs, newest first. */
export async function listRuns(repoRoot: string): Promise<RunStream[]> {
  const conductorDir = join(repoRoot, '.conductor');
  const runs: RunStream[] = [];
  const journal = await readJournal(conductorDir);
  if (journal || existsSync(eventsPath(conductorDir))) runs.push({ id: journal?.runId ?? 'current', current: true, ...(journal ? { journal } : {}), eventsFile: eventsPath(conductorDir), tasksDir: join(repoRoot, 'tasks') });
  const archive = join(conductorDir, 'runs');
  const earlier: RunStream[] = [];
  for (const name of existsSync(archive) ? readdirSync(archive) : []) {
    const dir = join(archive, name);
    const archived = await readJournal(dir);
    earlier.push({ id: name, current: false, ...(archived ? { journal: archived } : {}), eventsFile: eventsPath(dir), tasksDir: join(dir, 'tasks') });
  }
  earlier.sort((a, b) => (b.journal?.startedAt ?? '').localeCompare(a.journal?.startedAt ?? ''));
  return [...runs, ...earlier];
}

/** The run `wanted` names (an id or a unique prefix of one), else the current or last run. */
export async function findRun(repoRoot: string, wanted?: string): Promise<RunStream> {
  const runs = await listRuns(repoRoot);
  if (runs.length === 0) throw new ConductorError('INPUT_INVALID', 'no run recorded in this repository yet', { hint: 'conductor run, resume and implement record their events in .conductor/events.jsonl' });
  if (wanted === undefined) return runs[0]!;
  const exact = runs.find((r) => r.id === wanted);
  if (exact) return exact;
  const matches = runs.filter((r) => r.id.startsWith(wanted));
  if (matches.length === 1) return matches[0]!;
  const ids = runs.map((r) => r.id);
  throw new ConductorError('USAGE', matches.length === 0 ? `--run ${wanted}: no such run` : `--run ${wanted} is ambiguous: it starts ${matches.length} run ids`, { hint: `the runs of this repository are ${ids.slice(0, 8).join(', ')}${ids.length > 8 ? ', …' : ''}` });
}
