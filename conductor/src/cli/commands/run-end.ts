// What `finish`, `abandon` and `retry` share: the run as recorded (its journal,
// else the live backlog alone, for `conductor implement` runs), read under the
// repository's lock so no running conductor changes it underneath.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Backlog } from '../../backlog/types.js';
import { validateBacklogFile } from '../../backlog/validate-backlog.js';
import { ConductorError } from '../../errors.js';
import type { Problem } from '../../problems.js';
import { acquireRunLock, type RunLock } from '../../state/run-lock.js';
import { readJournal, type RunJournal } from '../../state/run-journal.js';
import type { CommandContext } from '../context.js';
import { DEFAULT_BACKLOG, repoRootOf } from './shared.js';

export interface RunAtHand {
  repoRoot: string;
  conductorDir: string;
  journal?: RunJournal;
  backlog?: Backlog;
  problems: Problem[];
  lock: RunLock;
}

export async function runAtHand(ctx: CommandContext, command: string): Promise<RunAtHand> {
  const repoRoot = repoRootOf(ctx);
  const conductorDir = join(repoRoot, '.conductor');
  const lock = await acquireRunLock(conductorDir, command);
  try {
    const journal = await readJournal(conductorDir);
    const backlogPath = join(repoRoot, DEFAULT_BACKLOG);
    const report = existsSync(backlogPath) ? await validateBacklogFile(backlogPath, DEFAULT_BACKLOG, { repoRoot, taskContextBytes: Number.POSITIVE_INFINITY }) : { problems: [] };
    if (!journal && !existsSync(backlogPath)) {
      throw new ConductorError('USAGE', 'there is no run here: no .conductor/run.json and no tasks/BACKLOG.yaml', { hint: 'start one with conductor run <feature-request.md>' });
    }
    return { repoRoot, conductorDir, ...(journal ? { journal } : {}), ...('backlog' in report && report.backlog ? { backlog: report.backlog } : {}), problems: report.problems, lock };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** The run is closed already: `finish` and `abandon` say so instead of acting twice. */
export function closedError(journal: RunJournal, command: string): ConductorError {
  const how = journal.closed!.how;
  return new ConductorError('USAGE', `the run of "${journal.slug}" was ${how} at ${journal.closed!.at}; there is nothing to ${command}`, { hint: 'start the next one with conductor run <feature-request.md>' });
}

/** "1 ref" / "2 refs". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
