// Factory mode: code rebuilt from specs/, without re-planning. Each spec's
// archived BACKLOG.yaml (rebased tasks included) goes through phases 3–4 on a
// fresh integration branch `factory/<spec>-v<version>` from a chosen base (the
// spec's base commit by default; with several specs, each builds on the one
// before). Task records live in .conductor/factory/<tag>/, worktrees and
// branches have their own names, so the live run in tasks/ is never touched.
// Each build is recorded in spec.json, with how it differs from the last.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { setTaskFields } from '../backlog/backlog-document.js';
import { validateBacklogText } from '../backlog/validate-backlog.js';
import { ConductorError } from '../errors.js';
import { git } from '../git/git.js';
import { factoryNaming, WorktreeManager } from '../git/worktrees.js';
import { formatProblem } from '../problems.js';
import { specState, updateSpecRecord, type SpecRecord, type SpecState } from '../specs/spec-record.js';
import { writeFileAtomically } from '../state/atomic-write.js';
import type { PhaseContext } from './call-role.js';
import { runImplementPhase, type ImplementOptions } from './implement-phase.js';

export interface SpecStatus {
  slug: string;
  dir: string;
  record: SpecRecord;
  state: SpecState;
}

/** Every spec folder under specs/ with its version and state; a spec.json is created for one that has none. */
export async function listSpecs(repoRoot: string): Promise<SpecStatus[]> {
  const root = join(repoRoot, 'specs');
  const names = existsSync(root) ? (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort() : [];
  const specs: SpecStatus[] = [];
  for (const slug of names) {
    const dir = join(root, slug);
    if (!existsSync(join(dir, 'BACKLOG.yaml')) && !existsSync(join(dir, 'spec.json'))) continue;
    const record = await updateSpecRecord(dir, slug);
    specs.push({ slug, dir, record, state: specState(record) });
  }
  return specs;
}

export function describeSpec(spec: SpecStatus): string {
  const { state, record } = spec;
  if (state.kind === 'never built') return `never built`;
  const built = `v${state.build.version} → ${state.build.resultCommit.slice(0, 12)} on ${state.build.branch}`;
  if (state.kind === 'built') return `built (${built})`;
  return `changed since its last build (${built}): ${state.files.join(', ') || 'spec.json'}; now v${record.version}`;
}

export interface FactoryOptions extends Omit<ImplementOptions, 'baseRef' | 'naming'> {
  /** Spec folders, in build order. */
  specs: SpecStatus[];
  onto?: string;
}

export interface FactoryBuild {
  slug: string;
  version: number;
  branch: string;
  ok: boolean;
  resultCommit?: string;
  resultTree?: string;
  /** How the result differs from the spec's last build. */
  comparison?: string;
  unfinished?: string[];
}

export async function runFactory(runCtx: PhaseContext, options: FactoryOptions): Promise<FactoryBuild[]> {
  // A build a Ctrl-C or crash left unfinished is taken up again, as `resume` takes up a run, under its run's id.
  const stopped = await unfinishedBuilds(runCtx.conductorDir);
  const resumed = stopped.find((b) => options.specs.some((spec) => spec.slug === b.spec && spec.record.version === b.version));
  const ctx: PhaseContext = resumed ? { ...runCtx, runId: resumed.runId } : runCtx;
  const builds: FactoryBuild[] = [];
  const g = git(ctx.repoRoot);
  let previousResult: string | undefined;
  for (const spec of options.specs) {
    if (ctx.signal?.aborted) break;
    const specName = relative(ctx.repoRoot, spec.dir);
    // Default: where the last build started (the code it was built on), else the commit the spec was planned on.
    const base = options.onto ?? previousResult ?? (spec.record.builds.at(-1)?.base || spec.record.baseCommit);
    if (!base) throw new ConductorError('INPUT_INVALID', `${specName}/spec.json does not say which commit it was planned on`, { hint: 'pass --onto REF to choose the base' });
    const baseCommit = (await g.raw(['rev-parse', '--verify', `${base}^{commit}`]).catch(() => '')).trim();
    if (!baseCommit) throw new ConductorError('INPUT_INVALID', `--onto ${base}: no such commit in this repository`, { hint: 'give a branch, tag or commit that exists' });

    const earlier = stopped.find((b) => b.spec === spec.slug && b.version === spec.record.version);
    const tag = earlier?.tag ?? (await freshTag(ctx.repoRoot, `${spec.slug}-v${spec.record.version}`));
    const tasksDir = join(ctx.conductorDir, 'factory', tag);
    const record: FactoryBuildRecord = earlier ?? { runId: ctx.runId, spec: spec.slug, version: spec.record.version, tag, state: 'running', startedAt: new Date().toISOString() };
    if (earlier) {
      ctx.report(`factory: ${spec.slug} v${spec.record.version} resumes factory/${tag}, which stopped before it finished; its tasks keep their states`);
    } else {
      await mkdir(tasksDir, { recursive: true });
      await writeFileAtomically(join(tasksDir, 'BACKLOG.yaml'), await freshBacklog(join(spec.dir, 'BACKLOG.yaml'), `${specName}/BACKLOG.yaml`));
      ctx.report(`factory: ${spec.slug} v${spec.record.version} onto ${baseCommit.slice(0, 12)} as factory/${tag}`);
    }
    // Which run built here (`conductor report` reads this build's task records, not the live run's) and whether it ended.
    await writeBuildRecord(tasksDir, { ...record, state: 'running' });

    const naming = factoryNaming(tag);
    const summary = await runImplementPhase({ ...ctx, tasksDir }, { ...options, baseRef: baseCommit, naming, rerunCommand: 'conductor factory' });
    const unfinished = Object.entries(summary.states).filter(([, s]) => s !== 'done' && s !== 'skipped').map(([id]) => id);
    // Stopped by Ctrl-C it stays `running`, to be resumed; with tasks blocked it is over.
    if (!ctx.signal?.aborted) await writeBuildRecord(tasksDir, { ...record, state: unfinished.length > 0 ? 'failed' : 'finished', endedAt: new Date().toISOString() });
    if (unfinished.length > 0 || ctx.signal?.aborted) {
      builds.push({ slug: spec.slug, version: spec.record.version, branch: summary.integrationBranch, ok: false, unfinished });
      break; // later specs build on this one
    }
    // The branch is the result; its worktree is not needed any more.
    await new WorktreeManager(ctx.repoRoot, naming, ctx.config.worktreeDir).removeIntegration(tag);
    const resultCommit = (await g.raw(['rev-parse', summary.integrationBranch])).trim();
    const resultTree = (await g.raw(['rev-parse', `${resultCommit}^{tree}`])).trim();
    const last = spec.record.builds.at(-1);
    const comparison = last ? await compare(ctx.repoRoot, last, resultCommit, resultTree) : 'first build of this spec';
    await updateSpecRecord(spec.dir, spec.slug, { build: { resultCommit, resultTree, branch: summary.integrationBranch, base: baseCommit, mode: 'factory', builtAt: new Date().toISOString() } });
    builds.push({ slug: spec.slug, version: spec.record.version, branch: summary.integrationBranch, ok: true, resultCommit, resultTree, comparison });
    previousResult = resultCommit;
  }
  return builds;
}

/** `.conductor/factory/<tag>/run.json`: which run made a build, and whether it ended. */
export interface FactoryBuildRecord {
  runId: string;
  spec: string;
  version: number;
  tag: string;
  /** running: under way, or stopped by Ctrl-C or a crash (resumed by the next `conductor factory` of it). */
  state: 'running' | 'finished' | 'failed';
  startedAt?: string;
  endedAt?: string;
}

async function writeBuildRecord(tasksDir: string, record: FactoryBuildRecord): Promise<void> {
  await writeFileAtomically(join(tasksDir, 'run.json'), `${JSON.stringify(record)}\n`);
}

/** Every factory build's record, oldest first (records written before `state` existed count as ended). */
export async function readBuildRecords(conductorDir: string): Promise<FactoryBuildRecord[]> {
  const root = join(conductorDir, 'factory');
  if (!existsSync(root)) return [];
  const records: FactoryBuildRecord[] = [];
  for (const tag of await readdir(root)) {
    try {
      const value = JSON.parse(await readFile(join(root, tag, 'run.json'), 'utf8')) as Partial<FactoryBuildRecord>;
      if (typeof value.runId === 'string' && typeof value.spec === 'string' && typeof value.version === 'number') records.push({ state: 'finished', ...value, tag } as FactoryBuildRecord);
    } catch {
      // not a build's record
    }
  }
  return records.sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''));
}

async function unfinishedBuilds(conductorDir: string): Promise<FactoryBuildRecord[]> {
  return (await readBuildRecords(conductorDir)).filter((r) => r.state === 'running');
}

/** The spec's archived backlog, every task back to pending with no attempts: a rebuild starts from the spec alone. */
async function freshBacklog(path: string, display: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => {
    throw new ConductorError('INPUT_INVALID', `${display} is missing`, { hint: 'a spec is built from its archived backlog; run conductor run (or conductor backlog) for it first' });
  });
  const report = validateBacklogText(text, display);
  if (!report.backlog) throw new ConductorError('BACKLOG_INVALID', `${display} is not valid`, { problems: report.problems, hint: report.problems.map(formatProblem)[0] ?? '' });
  let fresh = text;
  for (const task of report.backlog.tasks) {
    if (task.status !== 'pending' || task.attempts !== 0) fresh = setTaskFields(fresh, task.id, { status: 'pending', attempts: 0 });
  }
  return fresh;
}

async function compare(repoRoot: string, last: NonNullable<SpecRecord['builds'][number]>, resultCommit: string, resultTree: string): Promise<string> {
  if (last.resultTree === resultTree) return `the same tree as build v${last.version} (${resultTree.slice(0, 12)})`;
  const stat = await git(repoRoot).raw(['diff', '--shortstat', last.resultCommit, resultCommit]).catch(() => '');
  return `differs from build v${last.version} (${last.resultCommit.slice(0, 12)}):${stat.trim() ? ` ${stat.trim()}` : ' its commit is gone'}`;
}

/** `<slug>-v<version>`, or with -2, -3… when an earlier factory build already used the name. */
async function freshTag(repoRoot: string, wanted: string): Promise<string> {
  const taken = new Set((await git(repoRoot).raw(['for-each-ref', '--format=%(refname:short)', 'refs/heads/factory/'])).split('\n').filter(Boolean).map((ref) => basename(ref)));
  if (!taken.has(wanted)) return wanted;
  for (let n = 2; ; n++) if (!taken.has(`${wanted}-${n}`)) return `${wanted}-${n}`;
}

/** The specs named on the command line (`specs/<id>` or `<id>`), in the order given. */
export function pickSpecs(all: SpecStatus[], named: string[]): SpecStatus[] {
  return named.map((name) => {
    const slug = basename(name.replace(/\/+$/, ''));
    const found = all.find((spec) => spec.slug === slug);
    if (!found) throw new ConductorError('USAGE', `no spec ${name} under specs/`, { hint: `specs here: ${all.map((s) => s.slug).join(', ') || 'none yet'}` });
    return found;
  });
}
