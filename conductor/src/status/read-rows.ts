// One snapshot of every task's row, from the backlog, the status files and the
// sessions ledger: what `conductor status` prints and the live table redraws.
import { join } from 'node:path';
import { readLedger, type LedgerEntry } from '../agents/ledger.js';
import { validateBacklogFile, type BacklogReport } from '../backlog/validate-backlog.js';
import { readJournal } from '../state/run-journal.js';
import { peekTaskStatus, type StatusRead } from '../state/status-file.js';
import { taskRows, type TaskRow } from './task-table.js';

/** Where the tasks' records are and which ledger lines are theirs, when not the live run's. */
export interface RowSource {
  /** The folder of the tasks' status files (default: tasks/). */
  tasksDir: string;
  /** The ledger lines of this run (default: every line since the live run began). */
  calls: (entry: LedgerEntry) => boolean;
}

/**
 * The backlog's report (its problems when invalid) and, when valid, its rows. Tokens and cost count the calls
 * made since the run began (.conductor/run.json): an earlier feature's T01 is not this one's.
 */
export async function readTaskRows(repoRoot: string, backlogPath: string, display: string, now: () => Date = () => new Date(), source?: RowSource): Promise<{ report: BacklogReport; rows?: TaskRow[] }> {
  // A context over budget is `validate`'s concern; it does not stop a task from being shown.
  const report = await validateBacklogFile(backlogPath, display, { repoRoot, taskContextBytes: Number.POSITIVE_INFINITY });
  if (!report.backlog) return { report };
  const tasksDir = source?.tasksDir ?? join(repoRoot, 'tasks');
  const records = new Map<string, StatusRead>();
  for (const task of report.backlog.tasks) records.set(task.id, await peekTaskStatus(tasksDir, task.id));
  const { entries } = await readLedger(join(repoRoot, '.conductor'));
  let ours = source?.calls;
  if (!ours) {
    const journal = await readJournal(join(repoRoot, '.conductor'));
    const since = journal ? Date.parse(journal.startedAt) : -Infinity;
    ours = (e) => !(Date.parse(e.at) < since);
  }
  return { report, rows: taskRows(report.backlog, records, entries.filter(ours), now()) };
}
