// One attempt at one task, up to the point where a reviewer takes over: its
// worktree from the integration tip, its context within budget, a fresh
// worker session, the tamper check (what it may not touch), conductor's
// commit, the scope check, and the host's gates.
// The outcome carries the lessons (negative evidence) for the next attempt.
// An attempt whose review a rate limit cut short is taken up again by
// recheckAttempt: its commit goes through the same checks, with no new worker.
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentResult } from '../agents/types.js';
import type { Task } from '../backlog/types.js';
import type { GateConfig } from '../config/types.js';
import { renderTaskContext } from '../context/task-context.js';
import { gateEvidence, runGates, newlyFailing, type GateRun } from '../gates/run-gates.js';
import { commitWork, CONTEXT_COPY } from '../git/commit-work.js';
import { git } from '../git/git.js';
import type { WorktreeManager } from '../git/worktrees.js';
import { checkScope, type ScopeReport } from '../review/scope-check.js';
import { escapingSymlinks, findTampering, snapshotGuarded } from '../review/tamper-check.js';
import { uncomparedNote } from '../boundary/boundary.js';
import { changedSubmodules, snapshotSubmodules } from '../boundary/submodules.js';
import { writeFileAtomically } from '../state/atomic-write.js';
import { callRole, tasksDirOf, type PhaseContext } from './call-role.js';
import { prepareTaskContext } from './prepare-context.js';
import type { SetupOutcome } from '../prepare/prepare-worktree.js';
import { preparedGates, setupFailure } from './prepared-gates.js';

/** Cap notes already said in this process (once per run, not per attempt). */
const notedCaps = new Set<string>();

export interface AttemptInput {
  task: Task;
  attempt: number;
  integrationBranch: string;
  worktrees: WorktreeManager;
  gates: readonly GateConfig[];
  /** Gates already failing on the base: their failure is not this task's. */
  baselineFailures: ReadonlySet<string>;
  /** Review notes from the last attempt, for the worker. */
  notes?: string;
  /** Called as the host's gates start on the committed change, so the task is seen as verifying while they run. */
  onGates?: () => Promise<void>;
  /** The gates a remote worker ran on the attempt's commit (distributed executor): a re-check takes them instead of running them here. */
  gatesRanOnWorker?: readonly GateRun[];
  /** On a remote worker: the clone whose refs the guard watches (there is no user checkout there). */
  guard?: { repoRoot: string };
}

export type AttemptResult = 'verified' | 'failed' | 'blocked' | 'quota' | 'cancelled';

export interface AttemptOutcome {
  result: AttemptResult;
  worktree: string;
  branch: string;
  baseCommit: string;
  contextBytes: number;
  files: string[];
  gates: GateRun[];
  scope?: ScopeReport;
  agent?: AgentResult;
  /** Lessons for the next attempt, one line each. */
  negativeEvidence: string[];
  /** The worktree's preparation and resolution check before the gates (#16). */
  setup?: SetupOutcome;
  /** The worktree could not be prepared: conductor's or the project's problem, not the worker's; no attempt is used. */
  setupError?: boolean;
  /** The attempt's code must not be built on (it touched forbidden paths): the next attempt starts afresh. */
  discard?: boolean;
  reason?: string;
}

export async function runTaskAttempt(ctx: PhaseContext, input: AttemptInput): Promise<AttemptOutcome> {
  const { task, attempt } = input;
  const wt = await input.worktrees.ensureTask(task.id, input.integrationBranch);
  // A worktree made just now starts at the integration tip; a reused one may have moved since.
  const base = wt.reused ? (await git(wt.path).raw(['merge-base', 'HEAD', input.integrationBranch])).trim() : wt.head;
  return attemptSteps(ctx, input, { ...wt, base }, async (outcome) => {
    const fitted = await prepareTaskContext(ctx, task, attempt, renderTaskContext);
    outcome.contextBytes = fitted.bytes;
    if (!fitted.ok) return { result: fitted.result, reason: fitted.reason };
    const contextFile = join(tasksDirOf(ctx), `${task.id}.context.md`);
    await writeFileAtomically(contextFile, fitted.text, { derived: true }); // rendered from the backlog on every attempt
    return { text: fitted.text, file: contextFile };
  });
}

/** Where an attempt works: its worktree and branch, and the commit its change is measured from. */
export interface AttemptPlace {
  path: string;
  branch: string;
  /** An earlier attempt's work is in it (the change is everything since `base`, not just the new commit). */
  reused: boolean;
  base: string;
}

/** The worker's context: its text (and the file it was written to), or why there is none. */
export type AttemptContext = { text: string; file?: string } | { result: AttemptResult; reason: string };

/**
 * The steps of an attempt once its worktree exists, the same here and on a remote worker
 * (executor/worker.ts): preparation, the context, the worker session between the guard's
 * snapshot and its comparison, conductor's commit, the scope check and the gates.
 */
export async function attemptSteps(ctx: PhaseContext, input: AttemptInput, wt: AttemptPlace, context: (outcome: AttemptOutcome) => Promise<AttemptContext>): Promise<AttemptOutcome> {
  const { task, attempt } = input;
  const base = wt.base;
  const outcome: AttemptOutcome = { result: 'failed', worktree: wt.path, branch: wt.branch, baseCommit: base, contextBytes: 0, files: [], gates: [], negativeEvidence: [] };
  const fail = failWith(outcome);

  // The worker gets the project's dependencies too, so it can run the checks itself.
  const ready = setupError(ctx.repoRoot, outcome, (await preparedGates(ctx, wt.path, false, task.id, `attempt-${attempt}`)).setup);
  if (ready) return ready;

  const fitted = await context(outcome);
  if ('result' in fitted) return fail(fitted.result, fitted.reason);
  outcome.contextBytes ||= Buffer.byteLength(fitted.text);
  if (fitted.file) await copyFile(fitted.file, join(wt.path, CONTEXT_COPY));
  else await writeFile(join(wt.path, CONTEXT_COPY), fitted.text);

  const guarded = await snapshotGuarded(input.guard?.repoRoot ?? ctx.repoRoot, wt.path, wt.branch, input.integrationBranch, {
    // A worker's clone is conductor's own cache, with no checkout of the user's to protect: guarded as under the sandbox.
    sandboxed: ctx.config.sandbox === 'bwrap' || input.guard !== undefined,
    records: [tasksDirOf(ctx), ctx.conductorDir],
    taskBranchPrefix: input.worktrees.naming.taskBranch(''),
    docsDir: ctx.config.docsDir,
  });
  const capNote = uncomparedNote(guarded.boundary);
  if (capNote && !notedCaps.has(capNote)) {
    notedCaps.add(capNote);
    ctx.report(capNote);
  }
  const submodules = await snapshotSubmodules(wt.path);
  const agent = await callRole(ctx, 'implementer', { context: fitted.text, ...(input.notes ? { notes: input.notes } : {}) }, { attempt, taskId: task.id, task, cwd: wt.path });
  outcome.agent = agent;
  const tampered = await findTampering(guarded, input.worktrees, task.id);
  if (tampered) {
    const kept = tampered.salvaged.length > 0 ? ` (commits kept in ${tampered.salvaged.join(', ')})` : '';
    // Never built on: the next attempt starts clean at the integration tip (a touched .git link: set aside and made again).
    outcome.discard = true;
    return fail('failed', `${tampered.problems.join('; ')}${kept}`, `attempt ${attempt}: ${tampered.problems.join('; ')}; work only inside your worktree and leave branches to conductor`);
  }
  const inSubmodules = changedSubmodules(submodules);
  if (inSubmodules.length > 0) {
    outcome.discard = true;
    const where = inSubmodules.join(', ');
    return fail('failed', `the worker edited inside a submodule (${where}): conductor commits the task's worktree, not its submodules`, `attempt ${attempt}: never edit files inside a submodule (${where}); change the files of this repository only`);
  }
  if (agent.exit === 'cancelled') return fail('cancelled', 'cancelled');
  if (agent.exit === 'quota') return fail('quota', `the agent hit a rate limit: ${agent.detail ?? ''}`.trim());
  if (agent.exit !== 'ok') return fail('failed', `the agent ${agent.exit}${agent.detail ? `: ${agent.detail}` : ''}`, `attempt ${attempt}: the worker session ended as ${agent.exit}${agent.detail ? ` (${agent.detail})` : ''}`);

  const committed = await commitWork(wt.path, `${task.id}: ${task.title} (attempt ${attempt})`);
  // On a fresh worktree the commit is the only one since the base: its files are the whole change.
  // A worker that committed on its own (as aider does) made the change too: then it is everything since the base.
  outcome.files = wt.reused || committed.parent !== base ? await changedFiles(wt.path, base) : committed.files;
  if (outcome.files.length === 0) return fail('failed', 'no changes', `attempt ${attempt}: the worker changed no file; the task needs a change to its files`);
  return checkChange(ctx, input, outcome);
}

/**
 * An attempt whose review was cut short (a rate limit, Ctrl-C), taken up again: the
 * work it committed, still in its worktree, goes through the same checks
 * (symlinks, scope, gates) for a new review, without a new worker session.
 * Undefined when the worktree is gone or holds no change since its base: the
 * caller then runs a whole attempt.
 */
export async function recheckAttempt(ctx: PhaseContext, input: AttemptInput): Promise<AttemptOutcome | undefined> {
  const { task } = input;
  const wt = await input.worktrees.ensureTask(task.id, input.integrationBranch);
  if (!wt.reused) return undefined;
  const base = (await git(wt.path).raw(['merge-base', 'HEAD', input.integrationBranch])).trim();
  const files = await changedFiles(wt.path, base);
  if (files.length === 0) return undefined;
  const outcome: AttemptOutcome = { result: 'failed', worktree: wt.path, branch: wt.branch, baseCommit: base, contextBytes: 0, files, gates: [], negativeEvidence: [] };
  if (input.gatesRanOnWorker) {
    // The attempt ran on a remote worker, whose gates passed on this commit (their evidence is in the record): not run here again.
    outcome.gates = [...input.gatesRanOnWorker];
    outcome.result = 'verified';
    return checkChangeWithoutGates(input, outcome);
  }
  return checkChange(ctx, input, outcome);
}

/** Ends the attempt as `result`, with the reason and a lesson for the next one. */
function failWith(outcome: AttemptOutcome) {
  return (result: AttemptResult, reason: string, evidence?: string): AttemptOutcome => {
    outcome.result = result;
    outcome.reason = reason;
    if (evidence) outcome.negativeEvidence.push(evidence);
    return outcome;
  };
}

export async function changedFiles(worktree: string, base: string): Promise<string[]> {
  return (await git(worktree).raw(['diff', '--name-only', '-z', `${base}..HEAD`])).split('\0').filter(Boolean);
}

/** The committed change (`outcome.files`) checked: no escaping symlink, within scope, then the gates. */
async function checkChange(ctx: PhaseContext, input: AttemptInput, outcome: AttemptOutcome): Promise<AttemptOutcome> {
  const { task, attempt } = input;
  const fail = failWith(outcome);
  const decided = await scopeVerdict(input, outcome);
  if (decided) return decided;

  await input.onGates?.();
  // Again before the gates: the change may have touched a manifest or the lockfile; then the resolution check.
  const { options, setup } = await preparedGates(ctx, outcome.worktree, true, task.id, `attempt-${attempt}`);
  const unready = setupError(ctx.repoRoot, outcome, setup);
  if (unready) return unready;
  outcome.gates = await runGates(input.gates, options);
  if (ctx.signal?.aborted) return fail('cancelled', 'cancelled');
  const failing = newlyFailing(outcome.gates, input.baselineFailures);
  if (failing.length > 0) {
    outcome.negativeEvidence.push(...failing.map((gate) => gateEvidence(gate, attempt)));
    outcome.result = 'failed';
    outcome.reason = `gates failed: ${failing.map((g) => g.name).join(', ')}`;
    return outcome;
  }
  outcome.result = 'verified';
  return outcome;
}

/**
 * The checks before the gates: no committed symlink leads out of the worktree, no forbidden path is touched
 * (then failed, and discarded), and a change to CI, hooks or agent settings holds the gates for the reviewer
 * (then verified). Undefined when the gates may run.
 */
async function scopeVerdict(input: Pick<AttemptInput, 'task' | 'attempt'>, outcome: AttemptOutcome): Promise<AttemptOutcome | undefined> {
  const { task, attempt } = input;
  const fail = failWith(outcome);
  const links = await escapingSymlinks(outcome.worktree, outcome.files);
  if (links.length > 0) {
    outcome.discard = true; // the next attempt starts clean at the integration tip, not on this commit (its work is salvaged)
    return fail('failed', `the change adds a symlink that leads out of the worktree: ${links.join(', ')}`, `attempt ${attempt}: never add symlinks that point outside the repository (${links.join(', ')})`);
  }
  const scope = checkScope(task, outcome.files);
  outcome.scope = scope;
  if (scope.forbidden.length > 0) {
    outcome.discard = true;
    return fail('failed', `touched forbidden paths: ${scope.forbidden.join(', ')}`, `Don't touch ${scope.forbidden.join(', ')}: attempt ${attempt} changed them and was rejected`);
  }
  if (scope.flagged.length > 0) {
    // Gates would run code the agent just changed (hooks, CI, agent settings): the reviewer decides first.
    outcome.result = 'verified';
    outcome.reason = `gates held until the reviewer approves the changes to ${scope.flagged.join(', ')}`;
    return outcome;
  }
  return undefined;
}

/** A remote attempt's change, checked again by the coordinator: its gates ran on the worker. */
export async function checkChangeWithoutGates(input: Pick<AttemptInput, 'task' | 'attempt'>, outcome: AttemptOutcome): Promise<AttemptOutcome> {
  return (await scopeVerdict(input, outcome)) ?? outcome;
}

/** A failed preparation ends the attempt as a setup error: blocked with the log's path, not counted against the worker. */
function setupError(repoRoot: string, outcome: AttemptOutcome, setup: SetupOutcome): AttemptOutcome | undefined {
  outcome.setup = setup;
  if (setup.ok) return undefined;
  outcome.setupError = true;
  return failWith(outcome)('blocked', `setup error (not the worker's fault; no attempt used): ${setupFailure(setup, repoRoot)}`);
}
