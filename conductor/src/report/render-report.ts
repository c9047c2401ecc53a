// `conductor report` as Markdown (printed, and kept in <docsDir>/runs/ with the
// timeline drawn as an SVG next to it: timeline-svg.ts).
import { formatCount } from '../util/format.js';
import { formatUsd } from './cost.js';
import type { Figures, RunReport } from './run-report.js';

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 100) / 10;
  if (s < 60) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const sec = String(whole % 60).padStart(2, '0');
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${sec} s`;
}

/** A cost cell: nothing priced says so rather than showing $0. */
const cost = (f: Figures) => (f.calls > 0 && f.unpricedCalls === f.calls ? 'unpriced' : `${formatUsd(f.costUsd)}${f.unpricedCalls > 0 ? ` (+${f.unpricedCalls} unpriced)` : ''}`);
const percent = (rate: number | undefined) => (rate === undefined ? 'n/a' : `${Math.round(rate * 100)}%`);
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** `timelineFile`: the SVG timeline's name next to the Markdown, linked from its Timeline section. */
export function renderReportMarkdown(report: RunReport, options: { timelineFile?: string } = {}): string {
  const out: string[] = [`# Run ${report.runId}`, ''];
  const t = report.totals;
  out.push(
    `${report.startedAt} → ${report.endedAt} (${formatMs(report.wallMs)})`,
    '',
    `- agent calls: ${t.calls}, tokens in/out: ${formatCount(t.inputTokens)} / ${formatCount(t.outputTokens)}, cost: ${cost(t)}`,
    `- session reuse: ${report.sessionReuse} (sessions whose id appears twice in the ledger)`,
    `- first-attempt success: ${percent(report.firstAttempt.rate)} (${report.firstAttempt.succeeded} of ${report.firstAttempt.tasks} finished tasks)`,
    `- attempts: ${Object.entries(report.attempts).sort(([a], [b]) => Number(a) - Number(b)).map(([n, count]) => `${count} task${count === 1 ? '' : 's'} on attempt ${n}`).join(', ') || 'no task ran'}`,
  );
  if (report.unpricedModels.length > 0) out.push(`- no price for: ${report.unpricedModels.join(', ')} (add them under pricing in conductor.config.yaml)`);
  out.push('', '## Per phase', '', '| phase | calls | tokens in | tokens out | cost | agent time | wall time |', '|---|---:|---:|---:|---:|---:|---:|');
  for (const p of report.phases) out.push(`| ${p.phase} | ${p.calls} | ${formatCount(p.inputTokens)} | ${formatCount(p.outputTokens)} | ${cost(p)} | ${formatMs(p.agentMs)} | ${formatMs(p.wallMs)} |`);

  out.push('', '## Per task', '');
  if (report.tasks.length === 0) out.push('No task ran in this run.');
  else {
    out.push('| task | state | attempts | calls | tokens in | tokens out | cost | context bytes | wall time | note |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const task of report.tasks) {
      const wall = task.startedAt && task.endedAt ? formatMs(Date.parse(task.endedAt) - Date.parse(task.startedAt)) : '';
      out.push(`| ${task.id} | ${task.state ?? '?'} | ${task.attempts} | ${task.calls} | ${formatCount(task.inputTokens)} | ${formatCount(task.outputTokens)} | ${cost(task)} | ${task.contextBytes === undefined ? '' : formatCount(task.contextBytes)} | ${wall} | ${cell(task.note ?? '')} |`);
    }
  }

  const c = report.context;
  const d = report.debris;
  out.push('', '## Context hygiene', '');
  out.push(c.maxBytes === undefined ? '- worker context: none recorded' : `- worker context: max ${formatCount(c.maxBytes)} bytes, median ${formatCount(Math.round(c.medianBytes!))} bytes over ${c.tasks} task${c.tasks === 1 ? '' : 's'} (budget ${formatCount(c.budgetBytes)})`);
  if (c.maxWorkerPromptBytes !== undefined) out.push(`- largest worker prompt (context + role prompt): ${formatCount(c.maxWorkerPromptBytes)} bytes`);
  out.push(`- planning documents in worker and reviewer prompts: ${d.hits.length === 0 ? 'none' : d.hits.length} (${d.checked} saved prompt${d.checked === 1 ? '' : 's'} checked${d.missing > 0 ? `, ${d.missing} no longer on disk` : ''})`);
  for (const hit of d.hits) out.push(`  - ${hit.role}${hit.taskId ? ` ${hit.taskId}` : ''} (session ${hit.sessionId}) carries ${hit.lines} line${hit.lines === 1 ? '' : 's'} of ${hit.doc}`);

  const s = report.schedule;
  out.push('', '## Schedule', '');
  out.push(
    `- makespan: ${formatMs(s.makespanMs)}`,
    `- lower bound: ${formatMs(s.lowerBoundMs)} = max(critical path ${formatMs(s.criticalPathMs)}${s.criticalPath.length > 0 ? ` [${s.criticalPath.join(' → ')}]` : ''}, total work ${formatMs(s.totalWorkMs)} / concurrency ${s.concurrency})`,
    `- makespan / lower bound: ${s.ratio === undefined ? 'n/a' : s.ratio.toFixed(2)}`,
  );
  const caps = report.caps;
  if (caps.perRun || caps.perTask !== undefined) {
    out.push('', '## Budgets', '');
    const after = caps.perRun?.startedAfter ?? [];
    if (caps.perRun) out.push(caps.perRun.reachedAt ? `- per-run cap ${formatUsd(caps.perRun.capUsd)} reached at ${caps.perRun.reachedAt}: ${after.length === 0 ? 'no task started after it' : `started after it: ${after.join(', ')}`}` : `- per-run cap ${formatUsd(caps.perRun.capUsd)}: not reached`);
    if (caps.perTask !== undefined) out.push(`- per-task cap ${formatUsd(caps.perTask)}: ${caps.blocked.length === 0 ? 'no task reached it' : `blocked ${caps.blocked.map((b) => b.id).join(', ')}`}`);
  }
  if (report.tasks.length > 0) {
    out.push('', '## Timeline', '');
    out.push(options.timelineFile ? `![Timeline of run ${report.runId}](${options.timelineFile})` : 'conductor report draws it as an SVG next to this report in docs/runs/.');
    out.push('', 'One row per task, one bar per step of each attempt: worker, setup, gates, review, merge; ✗ marks a step that ended its attempt (failed, conflict, stopped, blocked).');
  }
  return `${out.join('\n')}\n`;
}
