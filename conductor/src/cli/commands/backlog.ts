// conductor backlog [PLAN.md]: phase 2 (PLAN.md → tasks/BACKLOG.yaml).
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { ConductorError } from '../../errors.js';
import { parseFeatureRequest } from '../../intake/feature-request.js';
import { describeChanges, runBacklogPhase } from '../../phases/backlog-phase.js';
import type { CommandContext } from '../context.js';
import { repoRootOf } from './shared.js';
import { withRun } from './run-support.js';
import { describeFsError } from '../../yaml/load-yaml.js';

export async function run(ctx: CommandContext): Promise<number> {
  const repoRoot = repoRootOf(ctx);
  const planPath = ctx.args[0] ? resolve(ctx.cwd, ctx.args[0]) : await newestPlan(repoRoot);
  if (!planPath || !existsSync(planPath)) {
    throw new ConductorError('INPUT_INVALID', ctx.args[0] ? `no such file: ${ctx.args[0]}` : 'no specs/*/PLAN.md found', { hint: 'run conductor plan <feature-request.md> first, or pass the plan: conductor backlog path/to/PLAN.md' });
  }
  const specDir = dirname(planPath);
  const slug = basename(specDir) === 'specs' ? 'feature' : basename(specDir);
  const context = await readFile(join(specDir, 'context.md'), 'utf8').catch(() => '');
  const dontTouch = parseFeatureRequest(context, slug).dontTouch;
  const plan = await readFile(planPath, 'utf8').catch((error: unknown) => {
    throw new ConductorError('INPUT_INVALID', `${ctx.args[0] ?? relative(ctx.cwd, planPath)}: ${describeFsError(error)}`, { hint: 'pass the plan: conductor backlog path/to/PLAN.md' });
  });
  const result = await withRun(ctx, 'conductor backlog', (phase) => runBacklogPhase(phase, { plan, slug, dontTouch, specDir }));
  ctx.stdout.write(`${relative(ctx.cwd, result.path)}: ${result.backlog.tasks.length} tasks\n`);
  if (result.changes) ctx.stdout.write(`changes against the previous backlog: ${describeChanges(result.changes)}; states of kept tasks carried over\n`);
  ctx.stdout.write(`next: review ${relative(ctx.cwd, result.path)} (conductor validate checks hand edits)\n`);
  return 0;
}

async function newestPlan(repoRoot: string): Promise<string | undefined> {
  const specs = join(repoRoot, 'specs');
  const names = await readdir(specs).catch(() => [] as string[]);
  let best: { path: string; mtime: number } | undefined;
  for (const name of names) {
    const path = join(specs, name, 'PLAN.md');
    const info = await stat(path).catch(() => undefined);
    if (info && (!best || info.mtimeMs > best.mtime)) best = { path, mtime: info.mtimeMs };
  }
  return best?.path;
}
