// A standalone `conductor implement` (no `run`) keeps the run record too
// (#15): .conductor/run.json says implementation is running, then where it
// ended, so `status`, `report`, `finish`, `abandon` and `resume` know the run.
//
// - No record: one is made (startedBy implement; its feature is the backlog's).
// - The record of a `conductor run` of the same feature, not closed: implement
//   carries that run on under its id, as `resume` would.
// - The record of an earlier `conductor implement` of the same feature, not
//   closed: this call has a run id of its own (the ledger tells calls apart);
//   the record takes it and keeps its start, so `status` counts every call.
// - A closed record, or a finished one of another feature: its run.json goes
//   to .conductor/runs/<id>/ (the tasks/ files are the backlog at hand and
//   stay), and a new record starts.
// - An unfinished run of another feature: refused; it is resumed or abandoned first.
// Bad input (an invalid backlog, an unknown --only) leaves the record as it was.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { validateBacklogFile } from '../backlog/validate-backlog.js';
import { ConductorError, EXIT, exitCodeOf, messageOf } from '../errors.js';
import { headCommit } from '../git/git.js';
import { writeJsonAtomically } from '../state/atomic-write.js';
import { journalPath, readJournal, writeJournal, type RunJournal, type RunOptions } from '../state/run-journal.js';
import type { PhaseContext } from './call-role.js';
import { runImplementPhase, type ImplementOptions, type ImplementSummary } from './implement-phase.js';

export async function implementAsRun(runCtx: PhaseContext, options: ImplementOptions, remember: RunOptions): Promise<ImplementSummary> {
  const report = await validateBacklogFile(join(runCtx.repoRoot, 'tasks', 'BACKLOG.yaml'), 'tasks/BACKLOG.yaml', { repoRoot: runCtx.repoRoot, taskContextBytes: Number.POSITIVE_INFINITY });
  // An invalid or missing backlog: the phase says so as it always has, and no record is touched.
  if (!report.backlog) return runImplementPhase(runCtx, options);
  const feature = report.backlog.feature;
  const previous = await readJournal(runCtx.conductorDir);
  const now = new Date().toISOString();
  const ours = previous !== undefined && !previous.closed && previous.slug === feature;
  if (previous && !ours && !previous.closed && previous.state !== 'finished') {
    throw new ConductorError('USAGE', `tasks/BACKLOG.yaml is for "${feature}", but the run of "${previous.slug}" here is not finished (${previous.state} in its ${previous.phase} phase)`, {
      hint: 'continue that run with conductor resume, or stop tracking it with conductor abandon (its branches stay), then conductor implement',
    });
  }
  const ctx: PhaseContext = ours && previous.startedBy !== 'implement' ? { ...runCtx, runId: previous.runId } : runCtx;
  const start: RunJournal = ours
    ? { ...previous, runId: ctx.runId, phase: 'implement', state: 'running', checkpoint: undefined, failure: undefined, unfinished: undefined }
    : {
        runId: ctx.runId,
        requestPath: '',
        slug: feature,
        specDir: join(ctx.repoRoot, 'specs', feature),
        dontTouch: [],
        phase: 'implement',
        state: 'running',
        startedBy: 'implement',
        options: remember,
        startedAt: now,
        updatedAt: now,
      };
  if (!ours) {
    const baseCommit = await headCommit(ctx.repoRoot).catch(() => undefined); // none: the phase says so
    if (baseCommit) start.baseCommit = baseCommit;
  }
  // A record already kept there (the same run archived before) is not overwritten.
  const aside = previous && !ours && !existsSync(journalPath(join(ctx.conductorDir, 'runs', previous.runId))) ? join(ctx.conductorDir, 'runs', previous.runId) : undefined;
  const madeAside = aside !== undefined && !existsSync(aside);
  if (aside) {
    // Its record is kept before this run's takes its place: nothing is left without one.
    await mkdir(aside, { recursive: true });
    await writeJsonAtomically(journalPath(aside), previous);
  }
  let journal = await writeJournal(ctx.conductorDir, clean(start));
  if (previous && !ours) {
    ctx.report(`implement: the earlier run of "${previous.slug}" (${previous.closed?.how ?? previous.state}) is recorded in .conductor/runs/${previous.runId}/run.json; this one is "${feature}"`);
  }
  try {
    const summary = await runImplementPhase(ctx, options);
    const unfinished = Object.entries(summary.states).filter(([, s]) => s !== 'done' && s !== 'skipped').map(([id]) => id);
    journal = await writeJournal(ctx.conductorDir, ctx.signal?.aborted ? { ...journal, state: 'interrupted' } : { ...journal, state: 'finished', unfinished });
    return summary;
  } catch (error) {
    const stopped = ctx.signal?.aborted || (error instanceof ConductorError && error.code === 'INTERRUPTED');
    if (!stopped && exitCodeOf(error) === EXIT.badInput) {
      // Bad input ran nothing: the record is put back as it was.
      if (previous) await writeJsonAtomically(journalPath(ctx.conductorDir), previous).catch(() => undefined);
      else await rm(journalPath(ctx.conductorDir), { force: true });
      if (aside) await rm(madeAside ? aside : journalPath(aside), { recursive: true, force: true }).catch(() => undefined);
    } else {
      await writeJournal(ctx.conductorDir, stopped ? { ...journal, state: 'interrupted' } : { ...journal, state: 'failed', failure: messageOf(error) }).catch(() => undefined);
    }
    throw error;
  }
}

/** Undefined fields dropped: the record stays as small as the schema of its readers expects. */
function clean(journal: RunJournal): RunJournal {
  return Object.fromEntries(Object.entries(journal).filter(([, v]) => v !== undefined)) as unknown as RunJournal;
}
