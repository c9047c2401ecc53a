// #17 point 4: a run's timeline per attempt step, as an SVG next to the report
// and as text on a terminal; report files named so they sort by date.
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../src/agents/ledger.js';
import { computeRunReport, type ReportInput } from '../src/report/run-report.js';
import { taskSteps } from '../src/report/task-steps.js';
import { renderTimelineSvg } from '../src/report/timeline-svg.js';
import { renderTimelineText } from '../src/report/timeline-text.js';
import { earlierReportFiles, reportStem } from '../src/report/write-report.js';
import type { TaskStatus } from '../src/state/status-file.js';
import type { TaskEvent } from '../src/state/task-events.js';
import { paintFor } from '../src/util/colors.js';

const T0 = Date.parse('2026-01-01T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const ev = (s: number, from: string | undefined, to: string, attempt: number, extra: Partial<TaskEvent> = {}): TaskEvent => ({ at: at(s), ...(from ? { from } : {}), to, attempt, ...extra });

/** T02's life: attempt 1's gates fail (after 2 s of setup); attempt 2 passes its gates (1 s of setup), is reviewed and merged. */
const RETRIED: TaskEvent[] = [
  ev(0, undefined, 'pending', 0, { kind: 'created' }),
  ev(10, 'pending', 'ready', 0, { kind: 'progress' }),
  ev(11, 'ready', 'running', 1, { kind: 'progress' }),
  ev(20, 'running', 'verifying', 1, { kind: 'progress' }),
  ev(25, 'verifying', 'failed', 1, { kind: 'failed', cause: 'gates', data: { setupMs: 2000 }, note: 'gates failed: test' }),
  ev(26, 'failed', 'ready', 1, { kind: 'progress' }),
  ev(27, 'ready', 'running', 2, { kind: 'progress' }),
  ev(35, 'running', 'verifying', 2, { kind: 'progress' }),
  ev(40, 'verifying', 'review', 2, { kind: 'progress', data: { setupMs: 1000 } }),
  ev(45, 'review', 'merging', 2, { kind: 'progress' }),
  ev(47, 'merging', 'done', 2, { kind: 'merged', cause: 'merge' }),
];
/** T01: one attempt, its review asks for changes, and the run is stopped (Ctrl-C) while the rewrite's worker runs. */
const STOPPED: TaskEvent[] = [
  ev(0, undefined, 'pending', 0, { kind: 'created' }),
  ev(1, 'pending', 'ready', 0),
  ev(1, 'ready', 'running', 1),
  ev(5, 'running', 'verifying', 1),
  ev(8, 'verifying', 'review', 1),
  ev(12, 'review', 'failed', 1, { kind: 'failed', cause: 'review-changes' }),
  ev(13, 'failed', 'running', 2),
  ev(20, 'running', 'interrupted', 1, { kind: 'stopped', cause: 'ctrl-c', data: { stage: 'attempt' } }),
];

const status = (id: string, state: TaskStatus['status'], attempt: number, history: TaskEvent[]): TaskStatus => ({ id, status: state, attempt, createdAt: at(0), updatedAt: history.at(-1)!.at, history });
const call = (taskId: string, role: string, s: number, durationS: number, attempt: number): LedgerEntry => ({ at: at(s), runId: 'r1', sessionId: `${taskId}-${role}-${s}`, role, taskId, attempt, provider: 'p', model: 'm', promptBytes: 10, promptSha256: 'x', durationMs: durationS * 1000, exit: 'ok', log: 'l' });

function input(): ReportInput {
  return {
    runId: 'r1',
    entries: [call('T01', 'implementer', 1, 4, 1), call('T01', 'reviewer', 8, 4, 1), call('T01', 'implementer', 13, 7, 2), call('T02', 'implementer', 11, 9, 1), call('T02', 'implementer', 27, 8, 2), call('T02', 'reviewer', 40, 5, 2)],
    tasks: [
      { id: 'T01', depends_on: [], status: status('T01', 'interrupted', 1, STOPPED) },
      { id: 'T02', depends_on: [], status: status('T02', 'done', 2, RETRIED) },
    ],
    pricing: {},
    concurrency: 2,
    taskContextBytes: 3072,
    caps: {},
    debris: { checked: 0, missing: 0, hits: [] },
  };
}

interface Element {
  name: string;
  attrs: Record<string, string>;
  title?: string;
}

/** The SVG's elements, checked to nest properly (every tag closed in order), with each one's <title> text. */
function parseSvg(svg: string): Element[] {
  const elements: Element[] = [];
  const open: Element[] = [];
  for (const match of svg.matchAll(/<(\/?)([a-zA-Z]+)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>|([^<]+)/g)) {
    const [, closing, name, attrText, selfClosing, text] = match;
    if (text !== undefined) {
      if (open.at(-1)?.name === 'title') open.at(-1)!.title = (open.at(-1)!.title ?? '') + text;
      continue;
    }
    if (closing) {
      expect(open.pop()?.name, `</${name}> closes what it opened`).toBe(name);
      if (name === 'title' && open.length > 0) open.at(-1)!.title = elements.at(-1)!.title ?? '';
      continue;
    }
    const attrs = Object.fromEntries([...attrText!.matchAll(/([\w:-]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    const element: Element = { name: name!, attrs };
    elements.push(element);
    if (!selfClosing) open.push(element);
  }
  expect(open).toEqual([]);
  return elements;
}

describe('the run timeline', () => {
  it('cuts a task\'s history into steps per attempt, splitting setup from gates and marking the step that ended an attempt', () => {
    const steps = taskSteps(RETRIED, { after: -Infinity, before: Infinity, now: T0 + 60_000 });
    expect(steps.map((s) => [s.kind, s.attempt, (s.start - T0) / 1000, (s.end - T0) / 1000, s.failed ?? null])).toEqual([
      ['worker', 1, 11, 20, null],
      ['setup', 1, 20, 22, null],
      ['gates', 1, 22, 25, { kind: 'failed', cause: 'gates' }],
      ['worker', 2, 27, 35, null],
      ['setup', 2, 35, 36, null],
      ['gates', 2, 36, 40, null],
      ['review', 2, 40, 45, null],
      ['merge', 2, 45, 47, null],
    ]);
    // A step still under way at the end runs to `now`; a review that asked for changes is marked; a stop is marked.
    expect(taskSteps(STOPPED.slice(0, -1), { after: -Infinity, before: Infinity, now: T0 + 18_000 }).at(-1)).toEqual({ kind: 'worker', attempt: 2, start: T0 + 13_000, end: T0 + 18_000, open: true });
    expect(taskSteps(STOPPED, { after: -Infinity, before: Infinity, now: T0 + 60_000 }).map((s) => [s.kind, s.attempt, s.failed?.cause ?? ''])).toEqual([['worker', 1, ''], ['gates', 1, ''], ['review', 1, 'review-changes'], ['worker', 2, 'ctrl-c']]);
    // Events outside the run's window belong to another run.
    expect(taskSteps(RETRIED, { after: T0 + 26_000, before: Infinity, now: T0 })[0]).toMatchObject({ kind: 'worker', attempt: 2 });
  });

  it('draws a retried task as two attempts in the SVG, each step a titled bar, the failed gates outlined and crossed', () => {
    const svg = renderTimelineSvg(computeRunReport(input()));
    const elements = parseSvg(svg);
    expect(elements[0]).toMatchObject({ name: 'svg', attrs: { xmlns: 'http://www.w3.org/2000/svg' } });
    const groups = elements.filter((e) => e.name === 'g').map((e) => e.attrs['data-task']);
    expect(groups).toEqual(['T01', 'T02']);
    const bars = elements.filter((e) => e.name === 'rect' && e.attrs.class?.startsWith('step '));
    const t02 = bars.filter((b) => b.title!.startsWith('T02 '));
    expect(t02.map((b) => [b.attrs.class, b.attrs['data-attempt'], b.title])).toEqual([
      ['step worker', '1', 'T02 attempt 1: worker, 9.0 s'],
      ['step setup', '1', 'T02 attempt 1: setup, 2.0 s'],
      ['step gates failed', '1', 'T02 attempt 1: gates, 3.0 s, failed (gates)'],
      ['step worker', '2', 'T02 attempt 2: worker, 8.0 s'],
      ['step setup', '2', 'T02 attempt 2: setup, 1.0 s'],
      ['step gates', '2', 'T02 attempt 2: gates, 4.0 s'],
      ['step review', '2', 'T02 attempt 2: review, 5.0 s'],
      ['step merge', '2', 'T02 attempt 2: merge, 2.0 s'],
    ]);
    expect(new Set(t02.filter((b) => b.attrs.class === 'step worker').map((b) => b.attrs['data-attempt']))).toEqual(new Set(['1', '2']));
    const failed = bars.filter((b) => b.attrs.class!.endsWith(' failed'));
    expect(failed.map((b) => [b.title, b.attrs.stroke])).toEqual([
      ['T01 attempt 1: review, 4.0 s, failed (review-changes)', '#d62728'],
      ['T01 attempt 2: worker, 7.0 s, stopped (ctrl-c)', '#d62728'],
      ['T02 attempt 1: gates, 3.0 s, failed (gates)', '#d62728'],
    ]);
    expect(elements.filter((e) => e.name === 'text' && e.attrs.class === 'failed-mark')).toHaveLength(3);
    // Bars sit on the time axis: attempt 2's worker starts after attempt 1's gates end.
    const x = (b: Element) => Number(b.attrs.x);
    expect(x(t02[3]!)).toBeGreaterThan(x(t02[2]!) + Number(t02[2]!.attrs.width));
  });

  it('prints the timeline as text, one line per task, letters per step and ✗ where an attempt ended', () => {
    const report = computeRunReport(input());
    // 1 s to 47 s over 46 columns: one column a second; the gaps are the waits between attempts.
    const text = renderTimelineText(report, { columns: 46 + 3 + 11 + 4 });
    expect(text).toBe([
      'Timeline, 46.0 s (one column ≈ 1.0 s): w worker, s setup, g gates, r review, m merge, ✗ ended its attempt',
      'T01  wwwwgggrrr✗ wwwwww✗                             interrupted',
      'T02            wwwwwwwwwssgg✗  wwwwwwwwsggggrrrrrmm  done',
      '',
    ].join('\n'));
    const coloured = renderTimelineText(report, { columns: 64, paint: paintFor(true) });
    expect(coloured).toContain('\x1b[31m✗\x1b[39m');
    expect(coloured).toContain('\x1b[32mdone\x1b[39m');
    expect(stripVTControlCharacters(coloured)).toBe(text);
  });

  it('names report files so they sort by date, and finds a run\'s earlier files under either scheme', () => {
    const runs = [['2026-01-02T09:05:00.000Z', 'b'], ['2026-01-02T10:00:00.000Z', 'a'], ['2025-12-31T23:59:59.999Z', 'c']] as const;
    const names = runs.map(([started, id]) => `${reportStem(id, started)}.md`);
    expect(names).toEqual(['2026-01-02-090500-b.md', '2026-01-02-100000-a.md', '2025-12-31-235959-c.md']);
    expect([...names].sort()).toEqual(['2025-12-31-235959-c.md', '2026-01-02-090500-b.md', '2026-01-02-100000-a.md']);
    const id = '1b0c6a2e-0000-4000-8000-000000000001';
    expect(earlierReportFiles([`${id}.md`, `2026-01-01-100000-${id}.md`, `2026-01-01-100000-${id}.svg`, `other-${id}.md`, '2026-01-01-100000-another.md', 'notes.md'], id)).toEqual([`${id}.md`, `2026-01-01-100000-${id}.md`, `2026-01-01-100000-${id}.svg`]);
  });
});
