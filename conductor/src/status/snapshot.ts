// What `conductor status --json` prints and the dashboard's GET /api/run
// serves: the run (from .conductor/run.json) and a row per task.
import { existsSync } from 'node:fs';
import { ConductorError } from '../errors.js';
import { readTaskRows } from './read-rows.js';
import { readRunView, type RunView } from './run-view.js';
import type { TaskRow } from './task-table.js';

export interface StatusSnapshot {
  run: RunView | null;
  tasks: TaskRow[];
}

/** `ofRun`: the backlog is the run's own (none named on the command line), so the run record applies. */
export async function readStatusSnapshot(repoRoot: string, backlogPath: string, display: string, ofRun: boolean): Promise<StatusSnapshot> {
  const view = ofRun ? await readRunView(repoRoot) : undefined;
  // Before implementation the backlog may not exist yet, or be the one the human is fixing: the run says what to do.
  const beforeBacklog = view !== undefined && view.phase !== 'implement' && !(view.phase === 'backlog' && view.state === 'paused');
  if (beforeBacklog && !existsSync(backlogPath)) return { run: view, tasks: [] };
  const { report, rows } = await readTaskRows(repoRoot, backlogPath, display);
  if (rows) return { run: view ?? null, tasks: rows };
  if (beforeBacklog) return { run: view, tasks: [] };
  throw new ConductorError('BACKLOG_INVALID', `${display} is not valid`, { problems: report.problems, hint: `fix it; conductor validate ${display} lists the problems${view && view.state !== 'running' ? ', then conductor resume' : ''}` });
}
