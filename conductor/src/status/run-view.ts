// What `conductor status` says about the run itself (#15 item 9): its feature,
// phase and state, and the next command to type — read from .conductor/run.json
// and the repository's lock, so it is right before a backlog exists, at a
// checkpoint, after a crash and after the end.
import { join } from 'node:path';
import type { TaskState } from '../backlog/types.js';
import { EXIT } from '../errors.js';
import { LIVE_NAMING } from '../git/worktrees.js';
import { readJournal, type RunJournal, type RunState } from '../state/run-journal.js';
import { lockHeld } from '../state/run-lock.js';

export interface RunView {
  runId: string;
  feature: string;
  phase: RunJournal['phase'];
  /** As recorded, except that a run recorded running with no conductor holding the lock was interrupted (a crash). */
  state: RunState;
  checkpoint?: RunJournal['checkpoint'];
  startedAt: string;
  updatedAt: string;
  baseCommit?: string;
  options?: RunJournal['options'];
  failure?: string;
  unfinished?: string[];
  /** What the user does next, as they would type it. */
  next: string;
}

export async function readRunView(repoRoot: string): Promise<RunView | undefined> {
  const conductorDir = join(repoRoot, '.conductor');
  const journal = await readJournal(conductorDir);
  if (!journal) return undefined;
  return describeRun(journal, journal.state === 'running' && (await lockHeld(conductorDir)));
}

/** The view of a journal; `live`: a conductor holds the repository's lock now. */
export function describeRun(journal: RunJournal, live: boolean): RunView {
  const state: RunState = journal.state === 'running' && !live ? 'interrupted' : journal.state;
  const view: RunView = { runId: journal.runId, feature: journal.slug, phase: journal.phase, state, startedAt: journal.startedAt, updatedAt: journal.updatedAt, next: nextCommand(journal, state) };
  if (journal.checkpoint !== undefined && state === 'paused') view.checkpoint = journal.checkpoint;
  if (journal.baseCommit !== undefined) view.baseCommit = journal.baseCommit;
  if (journal.options !== undefined) view.options = journal.options;
  if (journal.failure !== undefined && state === 'failed') view.failure = journal.failure;
  if (journal.unfinished !== undefined && state === 'finished') view.unfinished = journal.unfinished;
  return view;
}

function nextCommand(journal: RunJournal, state: RunState): string {
  const spec = `specs/${journal.slug}`;
  switch (state) {
    case 'running':
      return 'nothing: it is running (conductor status --watch follows it to the end)';
    case 'paused':
      return journal.checkpoint === 'plan' ? `review ${spec}/SPEC.md, ARCH.md, QA.md and PLAN.md, then conductor resume` : 'review tasks/BACKLOG.yaml, then conductor resume';
    case 'interrupted':
      return 'conductor resume';
    case 'failed':
      return journal.phase === 'backlog'
        ? `improve ${spec}/PLAN.md or write tasks/BACKLOG.yaml by hand (conductor validate checks it), then conductor resume`
        : 'fix the cause, then conductor resume';
    case 'finished':
      return journal.unfinished?.length
        ? `read tasks/<id>.notes.md of ${journal.unfinished.join(', ')}; to try one again set its status to pending and its attempts to 0 in tasks/BACKLOG.yaml, then conductor resume`
        : `git merge ${LIVE_NAMING.integrationBranch(journal.slug)}`;
  }
}

/** The lines above the task table. */
export function runLines(view: RunView): string[] {
  const where = view.state === 'paused' ? `paused at the ${view.checkpoint ?? view.phase} checkpoint` : view.state === 'finished' ? 'finished' : `${view.state} (${view.phase} phase)`;
  const lines = [`run: ${view.feature}, ${where}`];
  if (view.failure) lines.push(`why: ${view.failure}`);
  if (view.state === 'finished' && view.unfinished?.length) lines.push(`not done: ${view.unfinished.join(', ')}`);
  lines.push(`next: ${view.next}`);
  return lines;
}

/**
 * The exit code of `status --watch` once the run has ended, or undefined while it goes on: 0 finished with
 * every task done or skipped, or paused at a checkpoint; 1 failed, or finished with tasks not done; 130
 * interrupted. With no run record, the tasks decide once no conductor runs: 0 all done or skipped, else 1.
 */
export function watchOutcome(view: RunView | undefined, live: boolean, states: readonly TaskState[]): number | undefined {
  if (view === undefined) {
    if (live) return undefined;
    return states.every((s) => s === 'done' || s === 'skipped') ? EXIT.ok : EXIT.failed;
  }
  switch (view.state) {
    case 'running':
      return undefined;
    case 'paused':
      return EXIT.ok;
    case 'interrupted':
      return EXIT.interrupted;
    case 'failed':
      return EXIT.failed;
    case 'finished':
      // A journal from before `unfinished` was recorded: the tasks say.
      return view.unfinished?.length || !states.every((s) => s === 'done' || s === 'skipped') ? EXIT.failed : EXIT.ok;
  }
}
