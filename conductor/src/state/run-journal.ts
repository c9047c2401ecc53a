// .conductor/run.json: where a run is, so `conductor resume` continues after
// a checkpoint, a crash or Ctrl-C by reading it — never by guessing.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomically } from './atomic-write.js';

export type RunPhase = 'plan' | 'backlog' | 'implement';

export interface RunJournal {
  runId: string;
  requestPath: string;
  slug: string;
  specDir: string;
  dontTouch: string[];
  /** The phase under way or last finished. */
  phase: RunPhase;
  state: 'running' | 'paused' | 'finished';
  /** Set while paused at a checkpoint: what the human is to review. */
  checkpoint?: 'plan' | 'backlog';
  startedAt: string;
  updatedAt: string;
  /** Set by `conductor finish` or `conductor abandon`: nothing more happens in this run. */
  closed?: { how: 'finished' | 'abandoned'; at: string };
}

export function journalPath(conductorDir: string): string {
  return join(conductorDir, 'run.json');
}

export async function readJournal(conductorDir: string): Promise<RunJournal | undefined> {
  try {
    const value = JSON.parse(await readFile(journalPath(conductorDir), 'utf8')) as RunJournal;
    return typeof value.runId === 'string' && typeof value.phase === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

export async function writeJournal(conductorDir: string, journal: RunJournal): Promise<RunJournal> {
  const next = { ...journal, updatedAt: new Date().toISOString() };
  await writeJsonAtomically(journalPath(conductorDir), next);
  return next;
}
