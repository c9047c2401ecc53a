import { describe, expect, it } from 'vitest';
import { LiveTable, liveFrame } from '../src/status/live-table.js';
import type { TaskRow } from '../src/status/task-table.js';

const row = (id: string, state: TaskRow['state'], extra: Partial<TaskRow> = {}): TaskRow => ({ id, title: `Task ${id}`, state, attempt: state === 'pending' ? 0 : 1, inputTokens: 0, outputTokens: 0, ...extra });

/** A terminal that records every write, with a settable snapshot to show. */
function terminal(columns = 80) {
  const writes: string[] = [];
  let rows: TaskRow[] | undefined = [];
  let reads = 0;
  const table = new LiveTable({ write: (text) => void writes.push(text), columns }, async () => {
    reads++;
    return rows;
  });
  return { table, writes, set: (next: TaskRow[] | undefined) => (rows = next), reads: () => reads };
}

describe('the live task table', () => {
  it('shows started tasks and the totals over every task', () => {
    expect(liveFrame([row('T01', 'done', { elapsedMs: 72_000 }), row('T02', 'running', { elapsedMs: 3_000 }), row('T03', 'pending')])).toEqual([
      'ID   TITLE     STATE    ATTEMPT  ELAPSED  TOKENS IN/OUT  COST',
      'T01  Task T01  done     1        1m12s    -              -',
      'T02  Task T02  running  1        3s       -              -',
      '3 tasks: 1 done, 1 running, 1 pending',
    ]);
    expect(liveFrame([row('T01', 'pending')])).toEqual(['1 task: 1 pending']);
    expect(liveFrame([])).toEqual([]);
  });

  it('hides the cursor, draws below the report lines and redraws in place', async () => {
    const { table, writes, set } = terminal();
    set([row('T01', 'running', { elapsedMs: 1000 }), row('T02', 'pending')]);
    table.start();
    await table.refresh();
    table.line('implement: T02 starts (new)');
    set([row('T01', 'done', { elapsedMs: 2000 }), row('T02', 'running', { elapsedMs: 0 })]);
    await table.refresh();
    await table.finish();
    expect(writes).toEqual([
      '\x1b[?25l',
      'ID   TITLE     STATE    ATTEMPT  ELAPSED  TOKENS IN/OUT  COST\nT01  Task T01  running  1        1s       -              -\n2 tasks: 1 running, 1 pending\n',
      '\x1b[3A\x1b[Jimplement: T02 starts (new)\nID   TITLE     STATE    ATTEMPT  ELAPSED  TOKENS IN/OUT  COST\nT01  Task T01  running  1        1s       -              -\n2 tasks: 1 running, 1 pending\n',
      '\x1b[3A\x1b[JID   TITLE     STATE    ATTEMPT  ELAPSED  TOKENS IN/OUT  COST\nT01  Task T01  done     1        2s       -              -\nT02  Task T02  running  1        0s       -              -\n2 tasks: 1 done, 1 running\n',
      '\x1b[?25h',
    ]);
  });

  it('writes nothing when the frame has not changed, and keeps the last frame when a read fails', async () => {
    const { table, writes, set, reads } = terminal();
    set([row('T01', 'running')]);
    await table.refresh();
    await table.refresh();
    set(undefined);
    await table.refresh();
    expect(reads()).toBe(3);
    expect(writes).toHaveLength(1);
  });

  it('prints a report line without a table when there are no tasks yet', async () => {
    const { table, writes } = terminal();
    await table.refresh();
    table.line('plan: planners start');
    expect(writes).toEqual(['plan: planners start\n']);
  });

  it('cuts frame lines to the terminal width so none wraps', async () => {
    const { table, writes, set } = terminal(30);
    set([row('T01', 'running', { title: 'A rather long title for a task' })]);
    await table.refresh();
    expect(writes[0]!.split('\n').map((line) => line.length)).toEqual([29, 29, 17, 0]);
    expect(writes[0]!.split('\n')[1]).toBe('T01  A rather long title for…');
  });

  it('shows the cursor again when stopped on an exit path, and draws nothing after', async () => {
    const { table, writes, set } = terminal();
    set([row('T01', 'running')]);
    table.start();
    table.stop();
    await table.refresh();
    table.line('conductor: stopping');
    expect(writes.at(-2)).toBe('\x1b[?25h');
    expect(writes.at(-1)).toBe('conductor: stopping\n');
    expect(writes.join('')).not.toContain('\x1b[J');
  });
});
