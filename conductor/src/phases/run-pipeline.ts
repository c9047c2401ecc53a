// `conductor run` and `conductor resume`: the phases in order, pausing at the
// configured checkpoints (unless --yes), with every step recorded in the run
// journal first, so a resume continues where the run stopped.
import { copyFile, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ConductorError } from '../errors.js';
import type { FeatureRequest } from '../intake/feature-request.js';
import { routeFor } from '../agents/routing.js';
import { ROLES } from '../config/types.js';
import { branchCreatedAt, git, headCommit, isContainedIn } from '../git/git.js';
import { readSpecRecord, updateSpecRecord } from '../specs/spec-record.js';
import { archiveRun } from '../state/archive-run.js';
import { freeLiveWorktrees, setAsideIntegrationBranch } from '../git/run-leftovers.js';
import { LIVE_NAMING, WorktreeManager } from '../git/worktrees.js';
import { readJournal, writeJournal, type RunJournal } from '../state/run-journal.js';
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

export async function startRun(ctx: PhaseContext, request: FeatureRequest, requestPath: string, yes: boolean, implement: ImplementOptions, options: { restart?: boolean } = {}): Promise<PipelineOutcome> {
  await headCommit(ctx.repoRoot); // before any agent runs: implementation would stop on a repository with no commit
  const previous = await readJournal(ctx.conductorDir);
  if (previous && previous.state !== 'finished' && !options.restart) {
    // `run` where `resume` was meant would re-plan and overwrite the human's review of the backlog.
    const where = previous.state === 'paused' ? `paused at the ${previous.checkpoint ?? previous.phase} checkpoint` : `stopped during ${previous.phase} (interrupted)`;
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
    startedAt: now,
    updatedAt: now,
  });
  return continueRun(ctx, journal, request, yes, implement);
}

/** Carry a run on from its journal. `request` is re-read from the journal when not given. */
export async function continueRun(runCtx: PhaseContext, start: RunJournal, request: FeatureRequest | undefined, yes: boolean, implement: ImplementOptions): Promise<PipelineOutcome> {
  // A resumed run keeps its id: its agent calls are recorded as the same run.
  const ctx: PhaseContext = { ...runCtx, runId: start.runId };
  let journal = start;
  const rel = (path: string) => relative(ctx.repoRoot, path) || path;
  const pause = async (checkpoint: 'plan' | 'backlog', files: string[]): Promise<PipelineOutcome> => {
    journal = await writeJournal(ctx.conductorDir, { ...journal, state: 'paused', checkpoint });
    return { journal, message: `paused at the ${checkpoint} checkpoint: review ${files.join(', ')} (edit them as you like), then run conductor resume` };
  };

  if (journal.phase === 'plan' && journal.state === 'running') {
    if (!request) throw new ConductorError('STATE_CORRUPT', 'the run stopped during planning and its feature request is unknown', { hint: 'start again with conductor run <feature-request.md>' });
    await runPlanPhase(ctx, request);
    const baseCommit = await headCommit(ctx.repoRoot);
    const roles = Object.fromEntries(
      ROLES.map((role) => {
        const { provider, model } = routeFor(ctx.config, role, undefined, ctx.defaultProvider);
        return [role, model ? { provider, model } : { provider }];
      }),
    );
    await updateSpecRecord(journal.specDir, journal.slug, { runId: journal.runId, baseCommit, roles });
    journal = await writeJournal(ctx.conductorDir, { ...journal, phase: 'plan', state: 'finished' });
    if (ctx.config.checkpoints.includes('plan') && !yes) return pause('plan', ['SPEC.md', 'ARCH.md', 'QA.md', 'PLAN.md'].map((f) => rel(join(journal.specDir, f))));
  }
  if (journal.phase === 'plan' || (journal.phase === 'backlog' && journal.state === 'running')) {
    journal = await writeJournal(ctx.conductorDir, { ...journal, phase: 'backlog', state: 'running', checkpoint: undefined });
    const plan = await readFile(join(journal.specDir, 'PLAN.md'), 'utf8').catch(() => {
      throw new ConductorError('INPUT_INVALID', `${rel(join(journal.specDir, 'PLAN.md'))} is missing`, { hint: 'run conductor plan again' });
    });
    await runBacklogPhase(ctx, { plan, slug: journal.slug, dontTouch: journal.dontTouch, specDir: journal.specDir });
    await updateSpecRecord(journal.specDir, journal.slug, { runId: journal.runId });
    journal = await writeJournal(ctx.conductorDir, { ...journal, phase: 'backlog', state: 'finished' });
    if (ctx.config.checkpoints.includes('backlog') && !yes) return pause('backlog', ['tasks/BACKLOG.yaml']);
  }

  // Implementation re-validates the backlog (hand edits at the checkpoint) before anything runs.
  journal = await writeJournal(ctx.conductorDir, { ...journal, phase: 'implement', state: 'running', checkpoint: undefined });
  const summary = await runImplementPhase(ctx, { ...implement, rerunCommand: 'conductor resume' });
  if (!ctx.signal?.aborted && Object.values(summary.states).every((s) => s === 'done' || s === 'skipped')) await recordBuild(ctx, journal, summary);
  journal = await writeJournal(ctx.conductorDir, { ...journal, state: ctx.signal?.aborted ? 'running' : 'finished' });
  return { journal, implement: summary };
}

/** Every task merged: the final backlog (rebased tasks included) joins the spec, and the build is recorded against it. */
async function recordBuild(ctx: PhaseContext, journal: RunJournal, summary: ImplementSummary): Promise<void> {
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
