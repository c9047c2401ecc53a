// conductor report [--json] [--run ID]: what a run cost and how it went, as
// Markdown (also written to <docsDir>/runs/<run-id>.md, docs/ by default) or as JSON.
import { loadRunReport } from '../../report/load-run.js';
import { writeRunReport } from '../../report/write-report.js';
import { implementOptions } from './implement-report.js';
import type { CommandContext } from '../context.js';
import { configOf, repoRootOf } from './shared.js';

export async function run(ctx: CommandContext): Promise<number> {
  const repoRoot = repoRootOf(ctx);
  const { config } = await configOf(ctx, repoRoot);
  const { concurrency } = implementOptions(ctx, config.concurrency);
  const wanted = typeof ctx.options.run === 'string' ? ctx.options.run : undefined;
  if (ctx.options.json) {
    const { report, warnings } = await loadRunReport(repoRoot, { ...config, concurrency }, wanted);
    for (const warning of warnings) ctx.stderr.write(`warning: ${warning}\n`);
    ctx.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const written = await writeRunReport(repoRoot, { ...config, concurrency }, wanted);
  for (const warning of written.warnings) ctx.stderr.write(`warning: ${warning}\n`);
  ctx.stdout.write(written.markdown);
  ctx.stderr.write(`written to ${written.path}\n`);
  return 0;
}
