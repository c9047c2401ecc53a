// conductor validate [BACKLOG.yaml]: report every problem, exit 0 or 2.
import { validateBacklogFile } from '../../backlog/validate-backlog.js';
import { formatProblem } from '../../problems.js';
import type { CommandContext } from '../context.js';
import { backlogPathOf, configOf, repoRootOf } from './shared.js';
import { formatCount } from '../../util/format.js';

export async function run(ctx: CommandContext): Promise<number> {
  const repoRoot = repoRootOf(ctx);
  const { config } = await configOf(ctx, repoRoot);
  const { path, display } = backlogPathOf(ctx, repoRoot);
  const report = await validateBacklogFile(path, display, { taskContextBytes: config.budgets.taskContextBytes });

  if (ctx.options.json) {
    const body = {
      file: report.file,
      valid: report.valid,
      tasks: report.backlog?.tasks.length ?? null,
      largestContext: report.largestContext ?? null,
      problems: report.problems,
    };
    ctx.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return report.valid ? 0 : 2;
  }

  for (const problem of report.problems) ctx.stdout.write(`${formatProblem(problem)}\n`);
  if (report.valid && report.backlog) {
    const n = report.backlog.tasks.length;
    const largest = report.largestContext ? `; largest worker context ${formatCount(report.largestContext.bytes)} of ${formatCount(report.largestContext.budget)} bytes (${report.largestContext.id})` : '';
    ctx.stdout.write(`${report.file}: valid — ${n} task${n === 1 ? '' : 's'}${largest}\n`);
    return 0;
  }
  const n = report.problems.length;
  ctx.stdout.write(`${report.file}: ${n} problem${n === 1 ? '' : 's'}\n`);
  return 2;
}
