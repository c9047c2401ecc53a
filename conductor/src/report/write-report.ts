// A run's report as Markdown and its timeline as SVG, kept in <docsDir>/runs/ (docs/ by default) under
// names that sort by date: <UTC start, YYYY-MM-DD-HHMMSS>-<run-id>.md and .svg.
// What `conductor report` prints and `conductor demo` ends with. Writing a run's
// report replaces its earlier files, whether named this way or the old way
// (docs/runs/<run-id>.md), so a run has one report.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runReportsDir } from '../config/docs-dir.js';
import type { ConductorConfig } from '../config/types.js';
import { loadRunReport, type LoadedReport } from './load-run.js';
import { renderReportMarkdown } from './render-report.js';
import { renderTimelineSvg } from './timeline-svg.js';

export interface WrittenReport extends LoadedReport {
  markdown: string;
  /** Relative to the repository. */
  path: string;
  /** The timeline picture, relative to the repository; absent when no task ran. */
  svgPath?: string;
}

/** The file name's stem: the run's start in UTC, then its id, so `ls docs/runs` lists runs oldest first. */
export function reportStem(runId: string, startedAt: string): string {
  const stamp = startedAt.slice(0, 19).replace('T', '-').replace(/:/g, '');
  return `${stamp}-${runId}`;
}

/** A run's files in `dir` from earlier reports: the old `<run-id>.md` and any `<date>-<run-id>.md`/`.svg`. */
export function earlierReportFiles(names: readonly string[], runId: string): string[] {
  return names.filter((name) => name === `${runId}.md` || (/^\d{4}-\d{2}-\d{2}-\d{6}-/.test(name) && (name.endsWith(`-${runId}.md`) || name.endsWith(`-${runId}.svg`))));
}

export async function writeRunReport(repoRoot: string, config: ConductorConfig, runId?: string): Promise<WrittenReport> {
  const loaded = await loadRunReport(repoRoot, config, runId);
  const { report } = loaded;
  const stem = reportStem(report.runId, report.startedAt);
  const svg = report.tasks.length > 0 ? `${stem}.svg` : undefined;
  const markdown = renderReportMarkdown(report, svg ? { timelineFile: svg } : {});
  const relativeDir = runReportsDir(config.docsDir);
  const dir = join(repoRoot, relativeDir);
  await mkdir(dir, { recursive: true });
  const keep = new Set([`${stem}.md`, ...(svg ? [svg] : [])]);
  for (const name of earlierReportFiles(existsSync(dir) ? readdirSync(dir) : [], report.runId)) if (!keep.has(name)) await rm(join(dir, name), { force: true });
  await writeFile(join(dir, `${stem}.md`), markdown);
  if (svg) await writeFile(join(dir, svg), renderTimelineSvg(report));
  return { ...loaded, markdown, path: `${relativeDir}/${stem}.md`, ...(svg ? { svgPath: `${relativeDir}/${svg}` } : {}) };
}
