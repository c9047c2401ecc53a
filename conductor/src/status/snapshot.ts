// What `conductor status --json` prints and the dashboard's GET /api/run
// serves: the run (from .conductor/run.json) and a row per task.
import { existsSync } from 'node:fs';
import { ConductorError } from '../errors.js';
import { listEarlierRuns, type EarlierRun } from './earlier-runs.js';
import { readTaskRows } from './read-rows.js';
import { readRunView, type RunView } from './run-view.js';
import type { TaskRow } from './task-table.js';

export interface StatusSnapshot {
  run: RunView | null;
  tasks: TaskRow[];
  /** The earlier runs and factory builds, newest first; absent when there are none. */
  runs?: EarlierRun[];
}

/** `ofRun`: the backlog is the run's own (none named on the command line), so the run record applies. */
export async function readStatusSnapshot(repoRoot: string, backlogPath: string, display: string, ofRun: boolean): Promise<StatusSnapshot> {
  const view = ofRun ? await readRunView(repoRoot) : undefined;
  const earlier = ofRun ? await listEarlierRuns(repoRoot) : [];
  const runs = earlier.length ? { runs: earlier } : {};
  // Before implementation the backlog may not exist yet, or be the one the human is fixing: the run says what to do.
  const beforeBacklog = view !== undefined && view.phase !== 'implement' && !(view.phase === 'backlog' && view.state === 'paused');
  if (beforeBacklog && !existsSync(backlogPath)) return { run: view, tasks: [], ...runs };
  // No live run at all, only earlier ones or factory builds: those are the status.
  if (!view && ofRun && earlier.length && !existsSync(backlogPath)) return { run: null, tasks: [], ...runs };
  const { report, rows } = await readTaskRows(repoRoot, backlogPath, display);
  if (rows) return { run: view ?? null, tasks: rows, ...runs };
  if (beforeBacklog) return { run: view, tasks: [], ...runs };
  throw new ConductorError('BACKLOG_INVALID', `${display} is not valid`, { problems: report.problems, hint: `fix it; conductor validate ${display} lists the problems${view && view.state !== 'running' ? ', then conductor resume' : ''}` });
}
