// `conductor report`'s timeline on a terminal: one line per task, one
// character per slice of time, a letter per step (w worker, s setup, g gates,
// r review, m merge) and ✗ where a step ended its attempt badly.
import { paintState, plain, type Paint } from '../util/colors.js';
import { formatMs } from './render-report.js';
import type { RunReport } from './run-report.js';
import type { StepKind } from './task-steps.js';
import { timelineAxis } from './timeline-axis.js';

const LETTER: Readonly<Record<StepKind, string>> = { worker: 'w', setup: 's', gates: 'g', review: 'r', merge: 'm' };
const COLOUR: Readonly<Record<StepKind, keyof Pick<Paint, 'blue' | 'gray' | 'yellow' | 'magenta' | 'green'>>> = { worker: 'blue', setup: 'gray', gates: 'yellow', review: 'magenta', merge: 'green' };
const FAILED = '✗';

export function renderTimelineText(report: RunReport, options: { columns?: number; paint?: Paint } = {}): string {
  const paint = options.paint ?? plain;
  if (report.tasks.length === 0) return '';
  const axis = timelineAxis(report);
  const label = Math.max(...report.tasks.map((t) => t.id.length));
  const state = Math.max(...report.tasks.map((t) => (t.state ?? '?').length));
  const width = Math.min(100, Math.max(20, (options.columns ?? 80) - label - state - 4));
  const slice = (axis.to - axis.from) / width;
  const column = (ms: number) => Math.min(width - 1, Math.max(0, Math.floor((ms - axis.from) / slice)));
  const lines = [`Timeline, ${formatMs(axis.to - axis.from)} (one column ≈ ${formatMs(slice)}): ${(Object.keys(LETTER) as StepKind[]).map((k) => `${paint[COLOUR[k]](LETTER[k])} ${k}`).join(', ')}, ${paint.red(FAILED)} ended its attempt`];
  for (const task of report.tasks) {
    const cells: string[] = Array.from({ length: width }, () => ' ');
    for (const step of task.steps) {
      const first = column(Date.parse(step.startedAt));
      const last = Math.max(first, column(Date.parse(step.endedAt) - 1));
      for (let c = first; c <= last; c++) cells[c] = paint[COLOUR[step.kind]](LETTER[step.kind]);
    }
    // The marks last, so a step starting in the same column does not hide them.
    for (const step of task.steps) if (step.failed) cells[Math.max(column(Date.parse(step.startedAt)), column(Date.parse(step.endedAt) - 1))] = paint.red(FAILED);
    lines.push(`${task.id.padEnd(label)}  ${cells.join('')}  ${paintState(paint, task.state ?? '?')}`);
  }
  return `${lines.join('\n')}\n`;
}
