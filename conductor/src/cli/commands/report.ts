// conductor report [--json] [--run ID]: what a run cost and how it went, as
// Markdown (also written to <docsDir>/runs/<date>-<run-id>.md, docs/ by default,
// with its timeline as an SVG next to it) or as JSON; on a terminal, the timeline in text too.
import { loadRunReport } from '../../report/load-run.js';
import { renderTimelineText } from '../../report/timeline-text.js';
import { writeRunReport } from '../../report/write-report.js';
import { paintFor } from '../../util/colors.js';
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
  if (ctx.stdout.isTTY) ctx.stdout.write(`\n${renderTimelineText(written.report, { paint: paintFor(ctx.stdout.color), ...(ctx.stdout.columns ? { columns: ctx.stdout.columns } : {}) })}`);
  ctx.stderr.write(`written to ${written.path}${written.svgPath ? ` (timeline: ${written.svgPath})` : ''}\n`);
  return 0;
}
