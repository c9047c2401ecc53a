// Starting a new run in a repository that had one: the earlier run's live
// files under tasks/ (its backlog, status files, notes, reviews, contexts) and
// its journal and event stream move to .conductor/runs/<run-id>/, so nothing of it is taken for
// the new run's (a second feature numbered from T01 took the first's states by
// id) and nothing of it is lost. Its branches, specs/ and salvage refs stay.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { TASK_ID_PATTERN } from '../backlog/types.js';
import { journalPath, type RunJournal } from './run-journal.js';
import { eventsPath } from '../events/event-log.js';

/** The files of tasks/ that belong to a run (not a user's own file that happens to live there). */
function isRunFile(name: string): boolean {
  if (name === 'BACKLOG.yaml' || name === 'BACKLOG.md' || name === 'logs') return true;
  const match = /^(.+)\.(?:status\.json|notes\.md|review\.json|context\.md)$/.exec(name);
  return match !== null && TASK_ID_PATTERN.test(match[1]!);
}

/** Move the run's files aside; returns the folder they went to (relative to the repository). */
export async function archiveRun(repoRoot: string, conductorDir: string, journal: RunJournal): Promise<string> {
  const rel = join('.conductor', 'runs', journal.runId);
  const target = join(repoRoot, rel);
  const tasksDir = join(repoRoot, 'tasks');
  await mkdir(join(target, 'tasks'), { recursive: true });
  if (existsSync(tasksDir)) {
    for (const name of await readdir(tasksDir)) {
      if (isRunFile(name)) await rename(join(tasksDir, name), join(target, 'tasks', name));
    }
  }
  if (existsSync(journalPath(conductorDir))) await rename(journalPath(conductorDir), join(target, 'run.json'));
  if (existsSync(eventsPath(conductorDir))) await rename(eventsPath(conductorDir), join(target, 'events.jsonl'));
  return rel;
}
