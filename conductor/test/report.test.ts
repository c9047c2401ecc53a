import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../src/agents/ledger.js';
import { callCost } from '../src/report/cost.js';
import { lowerBound } from '../src/report/critical-path.js';
import { findPlanningDebris } from '../src/report/planning-debris.js';
import { renderReportMarkdown } from '../src/report/render-report.js';
import { computeRunReport, median, type ReportInput } from '../src/report/run-report.js';
import type { TaskStatus } from '../src/state/status-file.js';

const T0 = Date.parse('2026-01-01T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function call(runId: string, role: string, s: number, durationS: number, extra: Partial<LedgerEntry> = {}): LedgerEntry {
  return { at: at(s), runId, sessionId: `${role}-${s}-${extra.taskId ?? ''}`, role, attempt: 1, provider: 'p', model: 'm', promptBytes: 1000, promptSha256: 'x', inputTokens: 1000, outputTokens: 200, durationMs: durationS * 1000, exit: 'ok', log: 'l', ...extra };
}

function status(id: string, attempt: number, state: TaskStatus['status'], runs: [number, number][], note?: string, cause?: 'cost-cap'): TaskStatus {
  const history: TaskStatus['history'] = [{ at: at(0), to: 'pending' }];
  for (const [start, end] of runs) history.push({ at: at(start), from: 'ready', to: 'running' }, { at: at(end), from: 'running', to: end === runs.at(-1)![1] ? state : 'failed' });
  // The last change as conductor records it now: a typed event (its kind and cause decide), the note for humans.
  if (cause) history[history.length - 1] = { ...history.at(-1)!, kind: 'blocked', cause, ...(note ? { note } : {}) };
  return { id, status: state, attempt, createdAt: at(0), updatedAt: at(runs.at(-1)![1]), history, metrics: { contextBytes: 900 + attempt * 100 }, ...(note ? { note } : {}) };
}

// Run "r1": plan + backlog calls, then T01 (10 s) → T02 (20 s, 2 attempts), T03 (5 s) in parallel; run "r2" later.
function input(): ReportInput {
  const entries: LedgerEntry[] = [
    call('r1', 'planner-spec', 0, 4),
    call('r1', 'planner-arch', 0, 6),
    call('r1', 'plan-merge', 6, 2),
    call('r1', 'backlog', 8, 2, { costUsd: 0.5 }),
    call('r1', 'implementer', 10, 6, { taskId: 'T01' }),
    call('r1', 'reviewer', 16, 2, { taskId: 'T01' }),
    call('r1', 'implementer', 10, 3, { taskId: 'T03', model: 'unknown-model' }),
    call('r1', 'implementer', 20, 5, { taskId: 'T02' }),
    call('r1', 'implementer', 28, 5, { taskId: 'T02', attempt: 2 }),
    call('r1', 'reviewer', 35, 3, { taskId: 'T02', attempt: 2 }),
    call('r2', 'implementer', 100, 1, { taskId: 'T04' }),
  ];
  return {
    runId: 'r1',
    entries,
    tasks: [
      { id: 'T01', depends_on: [], status: status('T01', 1, 'done', [[10, 20]]) },
      { id: 'T02', depends_on: ['T01'], status: status('T02', 2, 'done', [[20, 27], [28, 40]]) },
      { id: 'T03', depends_on: [], status: status('T03', 1, 'blocked', [[10, 15]], 'cost cap: T03 spent $0.0100 of its $0.0010 budget (budgets.maxCostUsd.perTask)', 'cost-cap') },
      { id: 'T04', depends_on: ['T03'], status: status('T04', 1, 'done', [[100, 101]]) },
    ],
    pricing: { m: { inputPerMillion: 1, outputPerMillion: 5 } },
    concurrency: 2,
    taskContextBytes: 3072,
    caps: { perRun: 0.509, perTask: 0.001 },
    debris: { checked: 5, missing: 0, hits: [] },
  };
}

describe('report figures (literal data)', () => {
  it('prices a call from the CLI figure, else from the pricing table, else not at all', () => {
    expect(callCost(call('r', 'reviewer', 0, 1, { costUsd: 0.25 }), {})).toBe(0.25);
    expect(callCost(call('r', 'reviewer', 0, 1), { m: { inputPerMillion: 3, outputPerMillion: 15 } })).toBeCloseTo(0.006, 10);
    expect(callCost(call('r', 'reviewer', 0, 1), {})).toBeUndefined();
  });

  it('counts calls, tokens, cost and time per phase and per task, for the chosen run only', () => {
    const report = computeRunReport(input());
    expect(report.totals).toMatchObject({ calls: 10, inputTokens: 10_000, outputTokens: 2_000, unpricedCalls: 1 });
    // 8 calls priced at 1000*1 + 200*5 = 0.002 each, the backlog call's own 0.5, T03's call unpriced.
    expect(report.totals.costUsd).toBeCloseTo(0.5 + 8 * 0.002, 10);
    expect(report.phases.map((p) => [p.phase, p.calls, p.wallMs])).toEqual([['plan', 3, 8000], ['backlog', 1, 2000], ['implement', 4, 23_000], ['review', 2, 22_000]]);
    expect(report.tasks.map((t) => [t.id, t.state, t.attempts, t.calls, t.startedAt, t.endedAt])).toEqual([
      ['T01', 'done', 1, 2, at(10), at(20)],
      ['T02', 'done', 2, 3, at(20), at(40)],
      ['T03', 'blocked', 1, 1, at(10), at(15)],
    ]);
    expect(report.unpricedModels).toEqual(['unknown-model']);
    expect(report).toMatchObject({ startedAt: at(0), endedAt: at(40), wallMs: 40_000, sessionReuse: 0 });
  });

  it('computes context sizes, first-attempt success and the attempts histogram', () => {
    const report = computeRunReport(input());
    expect(report.context).toEqual({ budgetBytes: 3072, tasks: 3, maxBytes: 1100, medianBytes: 1000, maxWorkerPromptBytes: 1000 });
    expect(report.firstAttempt).toEqual({ succeeded: 1, tasks: 3, rate: 1 / 3 });
    expect(report.attempts).toEqual({ 1: 2, 2: 1 });
    expect(median([3, 1, 2, 10])).toBe(2.5);
  });

  it('sets the makespan against max(critical path, total work / concurrency) from the real durations', () => {
    const report = computeRunReport(input());
    // T01 10 s → T02 20 s is the critical path (30 s); total work 35 s / 2 = 17.5 s.
    expect(report.schedule).toMatchObject({ makespanMs: 30_000, criticalPathMs: 30_000, criticalPath: ['T01', 'T02'], totalWorkMs: 35_000, lowerBoundMs: 30_000, ratio: 1, concurrency: 2 });
    expect(lowerBound([{ id: 'a', depends_on: [], durationMs: 10 }, { id: 'b', depends_on: [], durationMs: 10 }, { id: 'c', depends_on: [], durationMs: 10 }], 1)).toEqual({ criticalPathMs: 10, criticalPath: ['a'], totalWorkMs: 30, lowerBoundMs: 30 });
  });

  it('counts a reused session id instead of assuming none', () => {
    const data = input();
    data.entries = [...data.entries, { ...data.entries[0]!, at: at(41) }];
    expect(computeRunReport(data).sessionReuse).toBe(1);
  });

  it('says when the per-run cap was crossed and which tasks the per-task cap blocked', () => {
    const caps = computeRunReport(input()).caps;
    // Cumulative by end time: planners 0.004, merge 0.006, backlog 0.506 (at 10 s), T03 unpriced, T01 at 16 s → 0.508, T01 review at 18 s → 0.510 ≥ 0.509.
    expect(caps).toEqual({ perRun: { capUsd: 0.509, reachedAt: at(18), startedAfter: ['T02'] }, perTask: 0.001, blocked: [{ id: 'T03', note: 'cost cap: T03 spent $0.0100 of its $0.0010 budget (budgets.maxCostUsd.perTask)' }] });
  });

  it('counts a cap block by its event, whatever its note says (#15 item 11)', () => {
    const data = input();
    const reworded = 'over budget: T03 may spend no more';
    data.tasks = data.tasks.map((t) => (t.id === 'T03' ? { ...t, status: status('T03', 1, 'blocked', [[10, 15]], reworded, 'cost-cap') } : t.id === 'T01' ? { ...t, status: { ...status('T01', 1, 'blocked', [[10, 20]], 'cost cap: the words alone'), note: 'cost cap: the words alone' } } : t));
    expect(computeRunReport(data).caps.blocked).toEqual([{ id: 'T03', note: reworded }]);
  });

  it('links the timeline picture from the Markdown, one step per state the task went through', () => {
    const report = computeRunReport(input());
    // The literal histories go ready → running → failed/done: one worker step per attempt, the last one ending the attempt marked.
    expect(report.tasks.map((t) => [t.id, t.steps.map((s) => [s.kind, s.attempt, s.startedAt, s.endedAt, s.failed?.kind ?? ''])])).toEqual([
      ['T01', [['worker', 0, at(10), at(20), '']]],
      ['T02', [['worker', 0, at(20), at(27), 'failed'], ['worker', 0, at(28), at(40), '']]],
      ['T03', [['worker', 0, at(10), at(15), 'blocked']]],
    ]);
    expect(renderReportMarkdown(report, { timelineFile: '2026-01-01-100000-r1.svg' })).toContain('## Timeline\n\n![Timeline of run r1](2026-01-01-100000-r1.svg)\n');
    const markdown = renderReportMarkdown(report);
    expect(markdown).toContain('| review | 2 | 2,000 | 400 | $0.0040 | 5.0 s | 22.0 s |');
    expect(markdown).toContain('- per-run cap $0.5090 reached at 2026-01-01T10:00:18.000Z: started after it: T02');
    expect(markdown).toContain('- makespan / lower bound: 1.00');
    expect(markdown).toContain('- first-attempt success: 33% (1 of 3 finished tasks)');
  });

  it('finds a planning document in a prompt by its substantial lines, not by headings or a stray line', () => {
    const plan = { path: 'specs/x/PLAN.md', text: '# PLAN\n## Implementation Steps\nUse a token bucket per client key.\nRefill lazily on each request.\nStore buckets in an LRU map.\nshort\n' };
    const prompts = [
      { sessionId: 'a', role: 'implementer', taskId: 'T01', text: 'Task: Use a token bucket per client key.\n## Implementation Steps' },
      { sessionId: 'b', role: 'reviewer', taskId: 'T02', text: `Context:\n${plan.text}` },
    ];
    expect(findPlanningDebris(prompts, [plan])).toEqual([{ sessionId: 'b', role: 'reviewer', taskId: 'T02', doc: 'specs/x/PLAN.md', lines: 3 }]);
  });
});
