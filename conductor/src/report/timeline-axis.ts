// The time axis both timelines share: the run's first and last moment, and
// tick marks at a round step that gives at most `maxTicks` of them.
import type { RunReport } from './run-report.js';

export interface Axis {
  /** Epoch milliseconds. */
  from: number;
  to: number;
  stepMs: number;
}

const STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];

export function timelineAxis(report: RunReport, maxTicks = 8): Axis {
  const times = report.tasks.flatMap((t) => t.steps.flatMap((s) => [Date.parse(s.startedAt), Date.parse(s.endedAt)]));
  const from = times.length > 0 ? Math.min(...times) : Date.parse(report.startedAt);
  const to = Math.max(from + 1, ...times);
  const stepMs = (STEPS_S.find((s) => (to - from) / (s * 1000) <= maxTicks) ?? STEPS_S.at(-1)!) * 1000;
  return { from, to, stepMs };
}

/** A tick's label: time since the first step, `0`, `45 s`, `2 min`, `1 h 30 min`. */
export function tickLabel(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s === 0) return '0';
  if (s < 60) return `${s} s`;
  if (s < 3600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
  const m = Math.round(s / 60);
  return m % 60 === 0 ? `${m / 60} h` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
