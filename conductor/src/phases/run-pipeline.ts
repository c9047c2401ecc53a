// `conductor run` and `conductor resume`: the phases in order, pausing at the
// configured checkpoints (unless --yes), with every step recorded in the run
// journal first, so a resume continues where the run stopped.
import { copyFile, readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConductorError, messageOf } from '../errors.js';
import { validateBacklogFile } from '../backlog/validate-backlog.js';
import { writeFileAtomically } from '../state/atomic-write.js';
import { renderBacklogMd } from '../state/backlog-md.js';
import type { FeatureRequest } from '../intake/feature-request.js';
import { routeFor } from '../agents/routing.js';
import { ROLES } from '../config/types.js';
import { branchCreatedAt, git, headCommit, isContainedIn } from '../git/git.js';
import { readSpecRecord, updateSpecRecord } from '../specs/spec-record.js';
import { archiveRun } from '../state/archive-run.js';
import { freeLiveWorktrees, setAsideIntegrationBranch } from '../git/run-leftovers.js';
import { LIVE_NAMING, WorktreeManager } from '../git/worktrees.js';
import { readJournal, writeJournal, type RunJournal, type RunOptions } from '../state/run-journal.js';
import { runBacklogPhase } from './backlog-phase.js';
import type { PhaseContext } from './call-role.js';
import { runPlanPhase } from './plan-phase.js';
import { runImplementPhase, type ImplementOptions, type ImplementSummary } from './implement-phase.js';

export interface PipelineOutcome {
  journal: RunJournal;
  /** What to tell the user when the run paused: the files to review. */
  message?: string;
  /** Where the tasks ended, when the run reached implementation. */
  implement?: ImplementSummary;
}

export async function startRun(ctx: PhaseContext, request: FeatureRequest, requestPath: string, yes: boolean, implement: ImplementOptions, options: { restart?: boolean; remember?: RunOptions } = {}): Promise<PipelineOutcome> {
  const baseCommit = await headCommit(ctx.repoRoot); // before any agent runs: implementation would stop on a repository with no commit
  const previous = await readJournal(ctx.conductorDir);
  if (previous && previous.state !== 'finished' && !options.restart) {
    // `run` where `resume` was meant would re-plan and overwrite the human's review of the backlog.
    const where = previous.state === 'paused' ? `paused at the ${previous.checkpoint ?? previous.phase} checkpoint` : previous.state === 'failed' ? `stopped during ${previous.phase} (failed)` : `stopped during ${previous.phase} (interrupted)`;
    throw new ConductorError('USAGE', `the run of "${previous.slug}" is not finished: it is ${where}; conductor run would start over`, {
      hint: `continue it with: conductor resume — or start over with: conductor run ${requestPath} --restart (its files move to .conductor/runs/; its branches and specs stay)`,
    });
  }
  if (previous) {
    const archived = await archiveRun(ctx.repoRoot, ctx.conductorDir, previous);
    ctx.report(`run: the earlier run of "${previous.slug}" (${previous.closed?.how ?? previous.state}) is kept in ${archived}/; this run starts with no tasks of its own yet`);
    // Its task branches would be taken up by this run's tasks of the same id: their work goes to salvage refs.
    const freed = await freeLiveWorktrees(ctx.repoRoot, previous.slug);
    for (const ref of freed.salvaged) ctx.report(`run: work the earlier run left unmerged is kept in ${ref}`);
  }
  await setAsideEarlierBranch(ctx, request.slug, previous);
  const now = new Date().toISOString();
  const journal = await writeJournal(ctx.conductorDir, {
    runId: ctx.runId,
    requestPath,
    slug: request.slug,
    specDir: join(ctx.repoRoot, 'specs', request.slug),
    dontTouch: request.dontTouch,
    phase: 'plan',
    state: 'running',
    options: options.remember ?? {},
    baseCommit,
    startedAt: now,
    updatedAt: now,
  });
  return continueRun(ctx, journal, request, yes, implement, { resumed: false });
}

/**
 * Carry a run on from its journal. `request` is re-read from the journal when not given. A resumed run
 * continues from the first phase whose output is missing or invalid: planner documents already written are
 * kept, and a valid tasks/BACKLOG.yaml written during the run (by the agent, or by hand after it failed) is
 * taken without a backlog session. The journal ends interrupted or failed when the run does.
 */
export async function continueRun(runCtx: PhaseContext, start: RunJournal, request: FeatureRequest | undefined, yes: boolean, implement: ImplementOptions, how: { resumed: boolean }): Promise<PipelineOutcome> {
  // A resumed run keeps its id: its agent calls are recorded as the same run.
  const ctx: PhaseContext = { ...runCtx, runId: start.runId };
  const state = { journal: start };
  try {
    return await carryOn(ctx, state, request, yes, implement, how.resumed);
  } catch (error) {
    const { failure: _, ...rest } = state.journal;
    const stopped = ctx.signal?.aborted || (error instanceof ConductorError && error.code === 'INTERRUPTED');
    await writeJournal(ctx.conductorDir, stopped ? { ...rest, state: 'interrupted' } : { ...rest, state: 'failed', failure: messageOf(error) }).catch(() => undefined);
    throw error;
  }
}

async function carryOn(ctx: PhaseContext, state: { journal: RunJournal }, request: FeatureRequest | undefined, yes: boolean, implement: ImplementOptions, resumed: boolean): Promise<PipelineOutcome> {
  // Every write goes through `state`, so a failure is recorded on the journal as it last was.
  const save = async (next: RunJournal) => (state.journal = await writeJournal(ctx.conductorDir, next));
  // A run that failed or was interrupted takes up the phase it stopped in again.
  const { failure: _, ...recorded } = state.journal;
  let journal: RunJournal = recorded.state === 'failed' || recorded.state === 'interrupted' ? await save({ ...recorded, state: 'running' }) : state.journal;
  const rel = (path: string) => relative(ctx.repoRoot, path) || path;
  const pause = async (checkpoint: 'plan' | 'backlog', files: string[]): Promise<PipelineOutcome> => {
    journal = await save({ ...journal, state: 'paused', checkpoint });
    return { journal, message: `paused at the ${checkpoint} checkpoint: review ${files.join(', ')} (edit them as you like), then run conductor resume` };
  };

  if (journal.phase === 'plan' && journal.state === 'running') {
    if (!request) throw new ConductorError('STATE_CORRUPT', 'the run stopped during planning and its feature request is unknown', { hint: 'start again with conductor run <feature-request.md>' });
    await runPlanPhase(ctx, request, resumed ? { keepSince: Date.parse(journal.startedAt) } : {});
    const baseCommit = await headCommit(ctx.repoRoot);
    const roles = Object.fromEntries(
      ROLES.map((role) => {
        const { provider, model } = routeFor(ctx.config, role, undefined, ctx.defaultProvider);
        return [role, model ? { provider, model } : { provider }];
      }),
    );
    await updateSpecRecord(journal.specDir, journal.slug, { runId: journal.runId, baseCommit, roles });
    journal = await save({ ...journal, phase: 'plan', state: 'finished' });
    if (ctx.config.checkpoints.includes('plan') && !yes) return pause('plan', ['SPEC.md', 'ARCH.md', 'QA.md', 'PLAN.md'].map((f) => rel(join(journal.specDir, f))));
  }
  if (journal.phase === 'plan' || (journal.phase === 'backlog' && journal.state === 'running')) {
    journal = await save({ ...journal, phase: 'backlog', state: 'running', checkpoint: undefined });
    const plan = await readFile(join(journal.specDir, 'PLAN.md'), 'utf8').catch(() => {
      throw new ConductorError('INPUT_INVALID', `${rel(join(journal.specDir, 'PLAN.md'))} is missing`, { hint: 'run conductor plan again' });
    });
    const taken = resumed && journal.phase === 'backlog' ? await takeWrittenBacklog(ctx, journal) : false;
    if (!taken) await runBacklogPhase(ctx, { plan, slug: journal.slug, dontTouch: journal.dontTouch, specDir: journal.specDir });
    await updateSpecRecord(journal.specDir, journal.slug, { runId: journal.runId });
    journal = await save({ ...journal, phase: 'backlog', state: 'finished' });
    if (ctx.config.checkpoints.includes('backlog') && !yes) return pause('backlog', ['tasks/BACKLOG.yaml']);
  }

  // Implementation re-validates the backlog (hand edits at the checkpoint) before anything runs.
  journal = await save({ ...journal, phase: 'implement', state: 'running', checkpoint: undefined });
  const summary = await runImplementPhase(ctx, { ...implement, rerunCommand: 'conductor resume' });
  if (!ctx.signal?.aborted && Object.values(summary.states).every((s) => s === 'done' || s === 'skipped')) await recordBuild(ctx, journal, summary);
  const unfinished = Object.entries(summary.states).filter(([, s]) => s !== 'done' && s !== 'skipped').map(([id]) => id);
  journal = await save(ctx.signal?.aborted ? { ...journal, state: 'interrupted' } : { ...journal, state: 'finished', unfinished });
  return { journal, implement: summary };
}

/**
 * On resume of a run whose backlog phase had started: a valid tasks/BACKLOG.yaml written since the run began
 * (by the agent before a crash, or by the human after the agent failed) is the phase's output; no session runs.
 */
async function takeWrittenBacklog(ctx: PhaseContext, journal: RunJournal): Promise<boolean> {
  const path = join(ctx.repoRoot, 'tasks', 'BACKLOG.yaml');
  const written = await stat(path).then((s) => s.mtimeMs, () => undefined);
  if (written === undefined || written < Date.parse(journal.startedAt)) return false;
  const report = await validateBacklogFile(path, 'tasks/BACKLOG.yaml', { repoRoot: ctx.repoRoot, taskContextBytes: Number.POSITIVE_INFINITY });
  if (!report.backlog) {
    ctx.report(`backlog: tasks/BACKLOG.yaml is not valid (${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}); the backlog phase runs again`);
    return false;
  }
  await writeFileAtomically(join(ctx.repoRoot, 'tasks', 'BACKLOG.md'), renderBacklogMd(report.backlog), { derived: true });
  await copyFile(path, join(journal.specDir, 'BACKLOG.yaml'));
  ctx.report(`backlog: tasks/BACKLOG.yaml is valid (${report.backlog.tasks.length} task${report.backlog.tasks.length === 1 ? '' : 's'}); taken as written, no backlog session`);
  return true;
}

/** Every task merged: the final backlog (rebased tasks included) joins the spec, and the build is recorded against it. */
async function recordBuild(ctx: PhaseContext, journal: RunJournal, summary: ImplementSummary): Promise<void> {
  if (!existsSync(journal.specDir)) return; // a run `conductor implement` started on a hand-written backlog has no spec
  await copyFile(join(ctx.repoRoot, 'tasks', 'BACKLOG.yaml'), join(journal.specDir, 'BACKLOG.yaml'));
  const g = git(ctx.repoRoot);
  const resultCommit = (await g.raw(['rev-parse', summary.integrationBranch])).trim();
  const resultTree = (await g.raw(['rev-parse', `${resultCommit}^{tree}`])).trim();
  const record = await readSpecRecord(journal.specDir);
  // The integration branch starts at HEAD when implementation starts, which may be later than planning (a commit at a checkpoint).
  const base = (await branchCreatedAt(ctx.repoRoot, summary.integrationBranch)) ?? record?.baseCommit ?? '';
  await updateSpecRecord(journal.specDir, journal.slug, { runId: journal.runId, build: { resultCommit, resultTree, branch: summary.integrationBranch, base, runId: journal.runId, mode: 'run', builtAt: new Date().toISOString() } });
}

/**
 * A new run of a feature starts from the user's HEAD, never on the branch an
 * earlier run of it left (every worker then found its work already there and
 * was blocked on "no changes"). A branch merged into HEAD is deleted (nothing
 * is lost); any other is renamed conductor/<slug>.run-<its run id>.
 */
async function setAsideEarlierBranch(ctx: PhaseContext, slug: string, previous: RunJournal | undefined): Promise<void> {
  const branch = LIVE_NAMING.integrationBranch(slug);
  const tip = (await git(ctx.repoRoot).run(['rev-parse', '--verify', '-q', `refs/heads/${branch}`])).stdout.trim();
  if (!tip) return;
  if (await isContainedIn(ctx.repoRoot, tip, 'HEAD')) {
    await new WorktreeManager(ctx.repoRoot).removeIntegration(slug);
    await git(ctx.repoRoot).raw(['branch', '-D', branch]);
    ctx.report(`run: deleted ${branch}, which an earlier run left and your branch already contains; this run starts from your HEAD`);
    return;
  }
  const earlierRun = previous?.slug === slug ? previous.runId : (await readSpecRecord(join(ctx.repoRoot, 'specs', slug)))?.runId;
  const label = earlierRun ? `run-${earlierRun.slice(0, 8)}` : `before-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}`;
  const kept = await setAsideIntegrationBranch(ctx.repoRoot, slug, label);
  ctx.report(`run: an earlier run of "${slug}" left ${branch}, not merged into your branch; it is kept as ${kept}, and this run starts from your HEAD`);
}
