// conductor factory [specs/<id> ...] [--all] [--status] [--onto REF]: rebuild code from specs.
import { ConductorError } from '../../errors.js';
import { describeSpec, listSpecs, pickSpecs, runFactory } from '../../phases/factory.js';
import type { CommandContext } from '../context.js';
import { implementOptions } from './implement-report.js';
import { repoRootOf } from './shared.js';
import { withRun } from './run-support.js';

export async function run(ctx: CommandContext): Promise<number> {
  const repoRoot = repoRootOf(ctx);
  if (ctx.options.status === true) {
    if (ctx.args.length > 0 || ctx.options.all === true) throw new ConductorError('USAGE', '--status lists every spec; it takes no spec names and no --all');
    const specs = await listSpecs(repoRoot);
    if (specs.length === 0) {
      ctx.stdout.write('no specs yet: conductor run <feature-request.md> writes one under specs/\n');
      return 0;
    }
    const width = Math.max(...specs.map((s) => s.slug.length));
    for (const spec of specs) ctx.stdout.write(`${spec.slug.padEnd(width)}  v${spec.record.version}  ${describeSpec(spec)}\n`);
    return 0;
  }
  if (ctx.args.length > 0 && ctx.options.all === true) throw new ConductorError('USAGE', 'name specs or pass --all, not both');

  const builds = await withRun(ctx, 'conductor factory', async (phase) => {
    const all = await listSpecs(repoRoot);
    const chosen = ctx.args.length > 0 ? pickSpecs(all, ctx.args) : ctx.options.all === true ? all : all.filter((s) => s.state.kind !== 'built');
    if (chosen.length === 0) return [];
    const onto = typeof ctx.options.onto === 'string' ? ctx.options.onto : undefined;
    return runFactory(phase, { ...implementOptions(ctx, phase.config.concurrency), specs: chosen, ...(onto ? { onto } : {}) });
  });
  if (builds.length === 0) {
    ctx.stdout.write('nothing to rebuild: every spec is built as it is (conductor factory --all rebuilds them anyway)\n');
    return 0;
  }
  for (const build of builds) {
    if (build.ok) ctx.stdout.write(`${build.slug} v${build.version}: built on ${build.branch} (${build.resultCommit!.slice(0, 12)}, tree ${build.resultTree!.slice(0, 12)}); ${build.comparison}\n`);
    else ctx.stdout.write(`${build.slug} v${build.version}: not finished on ${build.branch}: ${build.unfinished?.join(', ') || 'interrupted'} (see .conductor/factory/ for each task's notes)\n`);
  }
  return builds.every((b) => b.ok) ? 0 : 1;
}
