// One pure function decides a task's next step (#15 item 11): from its status
// record's typed events, its backlog entry and what git shows — never from the
// wording of a note. Literal cases, old status files (entries without kind) included.
import { describe, expect, it } from 'vitest';
import type { TaskState } from '../src/backlog/types.js';
import { nextStep } from '../src/phases/next-step.js';
import type { TaskStatus } from '../src/state/status-file.js';
import { EVENT_CAUSES, EVENT_KINDS, eventOf, type TaskEvent } from '../src/state/task-events.js';
import schema from '../schemas/status.schema.json' with { type: 'json' };

const at = '2026-01-01T00:00:00.000Z';
const record = (status: TaskState, history: Omit<TaskEvent, 'at'>[], extra: Partial<TaskStatus> = {}): TaskStatus => ({
  id: 'T01', status, attempt: 1, createdAt: at, updatedAt: at, history: [{ at, to: 'pending', kind: 'created' }, ...history.map((h) => ({ at, ...h }))], ...extra,
});
const stopped = (from: string, cause: TaskEvent['cause'], stage: 'attempt' | 'review' | 'rewrite', note = 'any words at all'): Omit<TaskEvent, 'at'> => ({ from, to: 'interrupted', kind: 'stopped', attempt: 1, cause, data: { stage }, note });

describe('nextStep', () => {
  it('leaves settled tasks alone', () => {
    for (const s of ['done', 'skipped', 'blocked'] as const) expect(nextStep({ status: s }, undefined, { merged: false })).toEqual({ step: 'none' });
  });

  it('starts a new attempt for a task with no record, pending, ready, failed or in conflict', () => {
    for (const s of ['pending', 'ready', 'failed', 'conflict'] as const) expect(nextStep({ status: s }, undefined, { merged: false })).toEqual({ step: 'attempt' });
  });

  it('records the merge of a task a crash left merging whose branch is in the integration branch, and recovers it otherwise', () => {
    const r = record('merging', [{ from: 'review', to: 'merging', kind: 'progress' }]);
    expect(nextStep({ status: 'merging' }, r, { merged: true })).toEqual({ step: 'record-merge' });
    expect(nextStep({ status: 'merging' }, r, { merged: false })).toEqual({ step: 'recover', cause: 'crash', then: 'attempt' });
  });

  it('recovers a task a crash left running as a new attempt', () => {
    expect(nextStep({ status: 'running' }, record('running', [{ from: 'ready', to: 'running', kind: 'progress' }]), { merged: false })).toEqual({ step: 'recover', cause: 'crash', then: 'attempt' });
  });

  it('has the commit of a task left in review without a verdict reviewed again on resume; to an onlooker it waits for a human', () => {
    const r = record('review', [{ from: 'verifying', to: 'review', kind: 'progress' }, { from: 'review', to: 'review', kind: 'waiting', cause: 'no-verdict', note: 'reworded' }]);
    expect(nextStep({ status: 'review' }, r, { merged: false })).toEqual({ step: 'recover', cause: 'no-verdict', then: 'review' });
    expect(nextStep({ status: 'review' }, r, { merged: false }, false)).toEqual({ step: 'wait-for-human' });
    expect(nextStep({ status: 'review' }, { ...r, pid: 4242 }, { merged: false }, false)).toEqual({ step: 'recover', cause: 'no-verdict', then: 'review' });
  });

  it('takes an interrupted task up where its stop event says, whatever the note says', () => {
    const cases: [Omit<TaskEvent, 'at'>, ReturnType<typeof nextStep>][] = [
      [stopped('review', 'ctrl-c', 'review'), { step: 'review', cause: 'ctrl-c' }],
      [stopped('review', 'no-verdict', 'review'), { step: 'review', cause: 'no-verdict' }],
      [stopped('review', 'rate-limit', 'review'), { step: 'review', cause: 'rate-limit' }],
      [stopped('failed', 'rate-limit', 'rewrite'), { step: 'rewrite' }],
      [stopped('running', 'rate-limit', 'attempt'), { step: 'attempt' }],
      [stopped('running', 'ctrl-c', 'attempt'), { step: 'attempt' }],
      [stopped('running', 'crash', 'attempt'), { step: 'attempt' }],
      [stopped('review', 'crash', 'review'), { step: 'attempt' }],
    ];
    for (const [event, expected] of cases) expect(nextStep({ status: 'interrupted' }, record('interrupted', [event]), { merged: false }), JSON.stringify(event)).toEqual(expected);
  });

  it('starts a new attempt when a human changed the state after the stop', () => {
    const r = record('interrupted', [stopped('review', 'ctrl-c', 'review')]);
    expect(nextStep({ status: 'pending' }, r, { merged: false })).toEqual({ step: 'attempt' });
  });

  it('reads status files written before events existed by their notes, as they were worded then', () => {
    const old = (from: string, to: TaskState, note: string) => record(to, [{ from, to, note }]);
    expect(nextStep({ status: 'interrupted' }, old('review', 'interrupted', "stopped by Ctrl-C during its review; resume reviews the attempt's commit again"), { merged: false })).toEqual({ step: 'review', cause: 'ctrl-c' });
    expect(nextStep({ status: 'interrupted' }, old('review', 'interrupted', "left in review without a verdict; resume reviews the attempt's commit again"), { merged: false })).toEqual({ step: 'review', cause: 'no-verdict' });
    expect(nextStep({ status: 'interrupted' }, old('failed', 'interrupted', "rate-limited (not the task's fault): 429; the task is rewritten on resume"), { merged: false })).toEqual({ step: 'rewrite' });
    expect(nextStep({ status: 'interrupted' }, old('review', 'interrupted', "rate-limited (not the task's fault): 429"), { merged: false })).toEqual({ step: 'review', cause: 'rate-limit' });
    expect(nextStep({ status: 'interrupted' }, old('running', 'interrupted', 'stopped by Ctrl-C; resume re-queues it'), { merged: false })).toEqual({ step: 'attempt' });
    expect(nextStep({ status: 'review' }, old('review', 'review', 'no usable verdict from the reviewer after 2 sessions'), { merged: false }, false)).toEqual({ step: 'wait-for-human' });
    expect(eventOf({ at, from: 'running', to: 'blocked', note: 'cost cap: T01 spent $2.00 of its $1.00 budget' })).toMatchObject({ kind: 'blocked', cause: 'cost-cap' });
    expect(eventOf({ at, to: 'pending' })).toMatchObject({ kind: 'created' });
  });
});

describe('the status schema', () => {
  it('names the same event kinds and causes as task-events.ts', () => {
    const item = schema.properties.history.items.properties;
    expect(item.kind.enum).toEqual([...EVENT_KINDS]);
    expect(item.cause.enum).toEqual([...EVENT_CAUSES]);
  });
});
