// conductor factory [specs/<id> ...] [--all] [--status] [--onto REF]: rebuild code from specs.
// With --projects, several repositories at once under one shared worker limit.
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../../config/types.js';
import { ConductorError, EXIT, exitCodeOf, isConductorError, messageOf } from '../../errors.js';
import { readProjects, type FactoryProject } from '../../phases/factory-projects.js';
import { describeSpec, listSpecs, pickSpecs, runFactory, type FactoryBuild, type SpecStatus } from '../../phases/factory.js';
import { SlotPool, type PoolMember } from '../../scheduler/slot-pool.js';
import type { CommandContext, Output } from '../context.js';
import { implementOptions } from './implement-report.js';
import { configOf, repoRootOf } from './shared.js';
import { withRun } from './run-support.js';
import { docPath } from '../../paths.js';

export async function run(ctx: CommandContext): Promise<number> {
  if (ctx.args.length > 0 && ctx.options.all === true) throw new ConductorError('USAGE', 'name specs or pass --all, not both');
  if (ctx.options.status === true && (ctx.args.length > 0 || ctx.options.all === true)) throw new ConductorError('USAGE', '--status lists every spec; it takes no spec names and no --all');
  if (typeof ctx.options.projects === 'string') return runProjects(ctx, ctx.options.projects);
  const repoRoot = repoRootOf(ctx);
  if (ctx.options.status === true) return printStatus(ctx.stdout, await listSpecs(repoRoot));
  // Which specs first: with nothing to build, no agent, lock or config is needed.
  const all = await listSpecs(repoRoot);
  const chosen = chooseSpecs(all, ctx.args, ctx.options.all === true);
  if (chosen.length === 0) {
    ctx.stdout.write(all.length === 0 ? 'no specs yet: conductor run <feature-request.md> writes one under specs/\n' : 'nothing to rebuild: every spec is built as it is (conductor factory --all rebuilds them anyway)\n');
    return 0;
  }
  const builds = await withRun(ctx, 'conductor factory', (phase) => runFactory(phase, { ...implementOptions(ctx, phase.config.concurrency), specs: chosen, ...onto(ctx) }));
  printBuilds(ctx.stdout, builds);
  return builds.every((b) => b.ok) ? 0 : 1;
}

/** Named specs in the order given, else all with --all, else the ones changed since their last build (or never built). */
function chooseSpecs(all: SpecStatus[], named: readonly string[], everything: boolean): SpecStatus[] {
  if (named.length > 0) return pickSpecs(all, [...named]);
  return everything ? all : all.filter((s) => s.state.kind !== 'built');
}

const onto = (ctx: CommandContext) => (typeof ctx.options.onto === 'string' ? { onto: ctx.options.onto } : {});

function printStatus(out: Output, specs: SpecStatus[]): number {
  if (specs.length === 0) {
    out.write('no specs yet: conductor run <feature-request.md> writes one under specs/\n');
    return 0;
  }
  const width = Math.max(...specs.map((s) => s.slug.length));
  for (const spec of specs) out.write(`${spec.slug.padEnd(width)}  v${spec.record.version}  ${describeSpec(spec)}\n`);
  return 0;
}

function printBuilds(out: Output, builds: FactoryBuild[]): void {
  for (const build of builds) {
    if (build.ok) out.write(`${build.slug} v${build.version}: built on ${build.branch} (${build.resultCommit!.slice(0, 12)}, tree ${build.resultTree!.slice(0, 12)}); ${build.comparison}\n`);
    else out.write(`${build.slug} v${build.version}: not finished on ${build.branch}: ${build.unfinished?.join(', ') || 'interrupted'} (see .conductor/factory/ for each task's notes)\n`);
  }
}

/** Lines written through `out`, each prefixed (the projects' reports interleave). */
function prefixed(out: Output, prefix: string): Output {
  let partial = '';
  return {
    write(text: string) {
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) out.write(`${prefix}${line}\n`);
    },
  };
}

async function runProjects(ctx: CommandContext, value: string): Promise<number> {
  if (ctx.args.length > 0) throw new ConductorError('USAGE', 'with --projects, name specs per repository in a factory.yaml, not on the command line', { hint: `see ${docPath('factory.md')}` });
  if (typeof ctx.options.config === 'string') throw new ConductorError('USAGE', '--config does not go with --projects: each repository reads its own conductor.config.yaml');
  const set = await readProjects(value, ctx.cwd);
  const projectCtx = (project: FactoryProject): CommandContext => ({ ...ctx, cwd: project.repoRoot, args: [], stdout: prefixed(ctx.stdout, `[${project.name}] `), stderr: prefixed(ctx.stderr, `[${project.name}] `) });

  if (ctx.options.status === true) {
    for (const project of set.projects) printStatus(projectCtx(project).stdout, await listSpecs(project.repoRoot));
    return 0;
  }
  const limit = implementOptions(ctx, set.concurrency ?? DEFAULT_CONFIG.concurrency).concurrency;
  // Everything that can be bad input is checked in every repository before any of them starts.
  const plans: { project: FactoryProject; specs: SpecStatus[]; concurrency: number }[] = [];
  for (const project of set.projects) {
    try {
      const config = (await configOf(projectCtx(project), project.repoRoot)).config;
      const specs = chooseSpecs(await listSpecs(project.repoRoot), project.specs ?? [], project.all === true || ctx.options.all === true);
      plans.push({ project, specs, concurrency: Math.min(config.concurrency, limit) });
    } catch (error) {
      throw inProject(project, error);
    }
  }
  const busy = plans.filter((p) => p.specs.length > 0);
  if (busy.length === 0) {
    ctx.stdout.write('nothing to rebuild: every spec of every project is built as it is (--all rebuilds them anyway)\n');
    return 0;
  }
  const pool = new SlotPool(limit, busy.map((p) => p.project.name));
  ctx.stderr.write(`factory: ${busy.length} project${busy.length === 1 ? '' : 's'} (${busy.map((p) => p.project.name).join(', ')}), ${limit} worker${limit === 1 ? '' : 's'} at once between them\n`);
  const outcomes = await Promise.allSettled(
    busy.map(async ({ project, specs, concurrency }) => {
      const member: PoolMember = { pool, project: project.name };
      try {
        const pctx = projectCtx(project);
        return await withRun(pctx, 'conductor factory', (phase) => runFactory(phase, { ...implementOptions(pctx, concurrency), concurrency, specs, pool: member, ...onto(ctx) }));
      } finally {
        pool.idle(project.name);
      }
    }),
  );

  let exit: number = EXIT.ok;
  let firstError: ConductorError | undefined;
  busy.forEach(({ project }, index) => {
    const outcome = outcomes[index]!;
    const out = prefixed(ctx.stdout, `[${project.name}] `);
    if (outcome.status === 'fulfilled') {
      printBuilds(out, outcome.value);
      if (!outcome.value.every((b) => b.ok)) exit = Math.max(exit, EXIT.failed);
      return;
    }
    const error = inProject(project, outcome.reason);
    out.write(`error: ${error.message}\n`);
    firstError ??= error;
    exit = Math.max(exit, exitCodeOf(error));
  });
  // An interruption, a lock held elsewhere or bad input is what the whole command ends with; other failures are per project.
  if (firstError && (exit === EXIT.interrupted || exit === EXIT.locked || exit === EXIT.badInput)) throw firstError;
  return exit;
}

/** An error from one project, saying which; its problems keep their locations, now relative to here. */
function inProject(project: FactoryProject, error: unknown): ConductorError {
  if (!isConductorError(error)) return new ConductorError('PHASE_FAILED', `${project.given}: ${messageOf(error)}`, { cause: error });
  return new ConductorError(error.code, `${project.given}: ${error.message}`, {
    problems: error.problems.map((p) => ({ ...p, file: join(project.given, p.file) })),
    ...(error.hint ? { hint: error.hint } : {}),
    cause: error,
  });
}
