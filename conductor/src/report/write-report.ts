// A run's report as Markdown, written to docs/runs/<run-id>.md: what
// `conductor report` prints and `conductor demo` ends with.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConductorConfig } from '../config/types.js';
import { loadRunReport, type LoadedReport } from './load-run.js';
import { renderReportMarkdown } from './render-report.js';

export interface WrittenReport extends LoadedReport {
  markdown: string;
  /** Relative to the repository. */
  path: string;
}

export async function writeRunReport(repoRoot: string, config: ConductorConfig, runId?: string): Promise<WrittenReport> {
  const loaded = await loadRunReport(repoRoot, config, runId);
  const markdown = renderReportMarkdown(loaded.report);
  const dir = join(repoRoot, 'docs', 'runs');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${loaded.report.runId}.md`), markdown);
  return { ...loaded, markdown, path: `docs/runs/${loaded.report.runId}.md` };
}
