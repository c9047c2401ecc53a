// A run's report as Markdown, written to <docsDir>/runs/<run-id>.md: what
// `conductor report` prints and `conductor demo` ends with.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runReportsDir } from '../config/docs-dir.js';
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
  const relative = `${runReportsDir(config.docsDir)}/${loaded.report.runId}.md`;
  await mkdir(join(repoRoot, runReportsDir(config.docsDir)), { recursive: true });
  await writeFile(join(repoRoot, relative), markdown);
  return { ...loaded, markdown, path: relative };
}
