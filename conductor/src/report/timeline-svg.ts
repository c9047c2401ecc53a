// `conductor report`'s picture: the run's timeline as an SVG, one row per
// task, one bar per step of each attempt (worker, setup, gates, review,
// merge), a step that ended its attempt badly outlined in red and crossed.
// Every bar carries a <title> (its tooltip) saying what it was.
import { formatMs } from './render-report.js';
import type { ReportStep, RunReport } from './run-report.js';
import type { StepKind } from './task-steps.js';
import { tickLabel, timelineAxis } from './timeline-axis.js';

export const STEP_COLOURS: Readonly<Record<StepKind, string>> = { worker: '#4e79a7', setup: '#bab0ac', gates: '#f28e2b', review: '#b07aa1', merge: '#59a14f' };
const FAILED = '#d62728';

const WIDTH = 960;
const LABEL = 150;
const RIGHT = 24;
const TOP = 52;
const ROW = 24;
const BAR = 14;

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** What a bar's tooltip says: `T02 attempt 1: gates, 3.0 s, failed (gates)`. */
export function stepTitle(taskId: string, step: ReportStep): string {
  const ms = Date.parse(step.endedAt) - Date.parse(step.startedAt);
  const end = step.failed ? `, ${step.failed.kind}${step.failed.cause ? ` (${step.failed.cause})` : ''}` : step.open ? ', still under way' : '';
  return `${taskId} attempt ${step.attempt}: ${step.kind}, ${formatMs(ms)}${end}`;
}

export function renderTimelineSvg(report: RunReport): string {
  const axis = timelineAxis(report);
  const plot = WIDTH - LABEL - RIGHT;
  const x = (ms: number) => LABEL + ((ms - axis.from) / (axis.to - axis.from)) * plot;
  const legendY = TOP + report.tasks.length * ROW + 16;
  const height = legendY + 24;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<title>Run ${escape(report.runId)}: timeline</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="8" y="20" font-size="14" font-weight="bold">Run ${escape(report.runId)}</text>`,
    `<text x="${WIDTH - RIGHT}" y="20" text-anchor="end" fill="#555">${escape(report.startedAt)} · ${formatMs(axis.to - axis.from)}</text>`,
  ];
  for (let t = 0; axis.from + t <= axis.to; t += axis.stepMs) {
    const at = x(axis.from + t).toFixed(1);
    out.push(`<line class="tick" x1="${at}" y1="${TOP - 8}" x2="${at}" y2="${TOP + report.tasks.length * ROW}" stroke="#e0e0e0"/>`, `<text x="${at}" y="${TOP - 12}" text-anchor="middle" fill="#555">${tickLabel(t)}</text>`);
  }
  report.tasks.forEach((task, row) => {
    const y = TOP + row * ROW;
    out.push(`<g class="task" data-task="${escape(task.id)}">`, `<text x="8" y="${y + BAR - 2}">${escape(task.id)}<tspan fill="#777"> ${escape(task.state ?? '?')}</tspan></text>`);
    for (const step of task.steps) {
      const x1 = x(Date.parse(step.startedAt));
      const width = Math.max(1, x(Date.parse(step.endedAt)) - x1);
      const stroke = step.failed ? ` stroke="${FAILED}" stroke-width="2"` : '';
      out.push(`<rect class="step ${step.kind}${step.failed ? ' failed' : ''}" data-attempt="${step.attempt}" x="${x1.toFixed(1)}" y="${y + 2}" width="${width.toFixed(1)}" height="${BAR}" fill="${STEP_COLOURS[step.kind]}"${stroke}${step.open ? ' fill-opacity="0.5"' : ''}><title>${escape(stepTitle(task.id, step))}</title></rect>`);
      if (step.failed) out.push(`<text class="failed-mark" x="${(x1 + width).toFixed(1)}" y="${y + BAR}" fill="${FAILED}" font-weight="bold">✗</text>`);
    }
    out.push('</g>');
  });
  let lx = LABEL;
  for (const kind of Object.keys(STEP_COLOURS) as StepKind[]) {
    out.push(`<rect x="${lx}" y="${legendY - 10}" width="12" height="12" fill="${STEP_COLOURS[kind]}"/>`, `<text x="${lx + 16}" y="${legendY}">${kind}</text>`);
    lx += 80;
  }
  out.push(`<text x="${lx}" y="${legendY}" fill="${FAILED}" font-weight="bold">✗</text>`, `<text x="${lx + 14}" y="${legendY}">ended its attempt (failed, conflict, stopped, blocked)</text>`, '</svg>');
  return `${out.join('\n')}\n`;
}
