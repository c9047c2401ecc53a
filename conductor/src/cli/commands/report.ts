// conductor report [--json] [--run ID]: what a run cost and how it went, as
// Markdown (also written to docs/runs/<run-id>.md) or as JSON.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadRunReport } from '../../report/load-run.js';
import { implementOptions } from './implement-report.js';
import { renderReportMarkdown } from '../../report/render-report.js';
import type { CommandContext } from '../context.js';
import { configOf, repoRootOf } from './shared.js';

export async function run(ctx: CommandContext): Promise<number> {
  const repoRoot = repoRootOf(ctx);
  const { config } = await configOf(ctx, repoRoot);
  const { concurrency } = implementOptions(ctx, config.concurrency);
  const { report, warnings } = await loadRunReport(repoRoot, { ...config, concurrency }, typeof ctx.options.run === 'string' ? ctx.options.run : undefined);
  for (const warning of warnings) ctx.stderr.write(`warning: ${warning}\n`);
  if (ctx.options.json) {
    ctx.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const markdown = renderReportMarkdown(report);
  const dir = join(repoRoot, 'docs', 'runs');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${report.runId}.md`), markdown);
  ctx.stdout.write(markdown);
  ctx.stderr.write(`written to docs/runs/${report.runId}.md\n`);
  return 0;
}
