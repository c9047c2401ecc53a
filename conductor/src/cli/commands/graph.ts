// conductor graph [BACKLOG.yaml] [--format mermaid|dot]
import { ConductorError } from '../../errors.js';
import { validateBacklogFile } from '../../backlog/validate-backlog.js';
import { renderGraph, type GraphFormat } from '../../graph/render-graph.js';
import type { CommandContext } from '../context.js';
import { backlogPathOf, configOf, repoRootOf } from './shared.js';

export async function run(ctx: CommandContext): Promise<number> {
  const repoRoot = repoRootOf(ctx);
  const { config } = await configOf(ctx, repoRoot);
  const { path, display } = backlogPathOf(ctx, repoRoot);
  const report = await validateBacklogFile(path, display, { taskContextBytes: config.budgets.taskContextBytes });
  if (!report.backlog) {
    throw new ConductorError('BACKLOG_INVALID', `${display} is not valid`, { problems: report.problems, hint: `fix it, then run conductor graph again (conductor validate ${display} lists the problems)` });
  }
  const format = (typeof ctx.options.format === 'string' ? ctx.options.format : 'mermaid') as GraphFormat;
  ctx.stdout.write(renderGraph(report.backlog, format));
  return 0;
}
