// .conductor/run.json: the run as an explicit record (#15) — the feature, the
// phase, the state, the options it was started with and its base commit — so
// `conductor resume` continues after a checkpoint, a crash or Ctrl-C by
// reading it, never by guessing, and `conductor status` can say where the run
// is. Fields are only ever added: a journal an older conductor wrote still reads.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomically } from './atomic-write.js';
import { emitEvent } from '../events/event-log.js';

export type RunPhase = 'plan' | 'backlog' | 'implement';

/**
 * running: a conductor is on it (or was, until a crash: `status` tells the two apart by the lock);
 * paused: at a checkpoint, for the human; interrupted: stopped by Ctrl-C or a signal;
 * failed: a phase failed (see `failure`); finished: implementation ran to its end (see `unfinished`).
 */
export type RunState = 'running' | 'paused' | 'interrupted' | 'failed' | 'finished';

/** The command-line options a resume takes over, by their CLI names. */
export const REMEMBERED_OPTIONS = ['yes', 'provider', 'concurrency', 'merge', 'allow-failing-baseline', 'queue', 'remote'] as const;
export type RunOptions = Partial<Record<(typeof REMEMBERED_OPTIONS)[number], string | boolean>>;

export interface RunJournal {
  runId: string;
  requestPath: string;
  slug: string;
  specDir: string;
  dontTouch: string[];
  /** The phase under way or last finished. */
  phase: RunPhase;
  state: RunState;
  /** Set while paused at a checkpoint: what the human is to review. */
  checkpoint?: 'plan' | 'backlog';
  /** The options `conductor run` was given; a resume uses them unless it is given others (added by #15). */
  options?: RunOptions;
  /** HEAD when the run started. */
  baseCommit?: string;
  /** Why the run failed, when state is failed. */
  failure?: string;
  /** Tasks not done or skipped when implementation ended (state finished). */
  unfinished?: string[];
  /** `implement`: made by a standalone `conductor implement` (no feature request, no planning); absent: by `conductor run`. */
  startedBy?: 'implement';
  startedAt: string;
  updatedAt: string;
  /** Set by `conductor finish` or `conductor abandon`: nothing more happens in this run. */
  closed?: { how: 'finished' | 'abandoned'; at: string };
}

/** The options of a command line a run remembers. */
export function runOptionsOf(options: Readonly<Record<string, string | boolean | undefined>>): RunOptions {
  const kept: RunOptions = {};
  for (const name of REMEMBERED_OPTIONS) {
    const value = options[name];
    if (value !== undefined && value !== false) kept[name] = value;
  }
  return kept;
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
  const previous = await readJournal(conductorDir);
  const next = { ...journal, updatedAt: new Date().toISOString() };
  await writeJsonAtomically(journalPath(conductorDir), next);
  // The event stream (docs/events.md): the whole record, and the phase and checkpoint when they change.
  const same = previous?.runId === next.runId;
  if (!same || previous.phase !== next.phase) await emitEvent(conductorDir, { type: 'phase', phase: next.phase });
  if (next.state === 'paused' && next.checkpoint && (!same || previous.state !== 'paused' || previous.checkpoint !== next.checkpoint)) await emitEvent(conductorDir, { type: 'checkpoint', checkpoint: next.checkpoint });
  await emitEvent(conductorDir, { type: 'run', journal: next });
  return next;
}
