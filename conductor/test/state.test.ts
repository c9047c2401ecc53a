import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomically, writeJsonAtomically } from '../src/state/atomic-write.js';
import { appendJsonLine, readJsonLines } from '../src/state/json-lines.js';
import { newTaskStatus, readTaskStatus, transition, writeTaskStatus } from '../src/state/status-file.js';
import { canTransition } from '../src/state/task-states.js';
import { testdir } from './helpers/dirs.js';

const NOW = new Date('2026-11-21T10:00:00.000Z');

describe('status files', () => {
  it('round-trips a status through an atomic write', async () => {
    const tasks = testdir();
    let status = newTaskStatus('T01', NOW);
    status = transition(status, 'ready', { now: NOW });
    status = transition(status, 'running', { now: NOW });
    status = { ...status, attempt: 1, pid: 4242, worktree: 'worktrees/T01', branch: 'task/T01', session: { id: 'ses_1', provider: 'claude', model: 'm', started: NOW.toISOString() } };
    await writeTaskStatus(tasks, status);
    const read = await readTaskStatus(tasks, 'T01');
    expect(read).toEqual({ kind: 'ok', path: join(tasks, 'T01.status.json'), status });
    expect(readdirSync(tasks)).toEqual(['T01.status.json']);
  });

  it('reports a missing file as missing', async () => {
    const tasks = testdir();
    expect(await readTaskStatus(tasks, 'T01')).toEqual({ kind: 'missing', path: join(tasks, 'T01.status.json') });
  });

  it.each([
    ['empty', '', 'the file is empty'],
    ['torn', '{"id": "T01", "status": "runn', 'not valid JSON'],
    ['wrong shape', '{"id": "T01", "status": "flying", "attempt": 0, "createdAt": "x", "updatedAt": "x", "history": []}', 'does not match the status schema'],
    ['another task', JSON.stringify(newTaskStatus('T02', NOW)), 'belongs to task "T02", not "T01"'],
  ])('sets aside a corrupt (%s) file and says why, never resetting it silently', async (_name, content, reason) => {
    const tasks = testdir({ 'T01.status.json': content });
    const read = await readTaskStatus(tasks, 'T01', NOW);
    expect(read.kind).toBe('corrupt');
    if (read.kind !== 'corrupt') return;
    expect(read.reason).toContain(reason);
    expect(read.movedTo).toBe(join(tasks, 'T01.status.json.corrupt-2026-11-21T10-00-00-000Z'));
    expect(readFileSync(read.movedTo!, 'utf8')).toBe(content);
    expect(readdirSync(tasks)).toEqual(['T01.status.json.corrupt-2026-11-21T10-00-00-000Z']);
  });

  it('refuses to write an invalid record', async () => {
    const tasks = testdir();
    const bad = { ...newTaskStatus('T01', NOW), attempt: -1 };
    await expect(writeTaskStatus(tasks, bad)).rejects.toThrow('refusing to write an invalid status for T01: /attempt must be >= 0');
    expect(readdirSync(tasks)).toEqual([]);
  });
});

describe('task state table', () => {
  it('lets conductor move only along its edges', () => {
    expect(canTransition('running', 'verifying', 'conductor')).toBe(true);
    expect(canTransition('done', 'running', 'conductor')).toBe(false);
    expect(() => transition(newTaskStatus('T01', NOW), 'merging')).toThrow('task T01 cannot go from pending to merging');
  });

  it('takes a task through verifying while its gates run: on to review, or failed, or interrupted by a crash or Ctrl-C', () => {
    expect((['review', 'failed', 'interrupted'] as const).map((to) => canTransition('verifying', to, 'conductor'))).toEqual([true, true, true]);
    expect(canTransition('verifying', 'running', 'conductor')).toBe(false);
  });

  it('lets a human set pending, blocked, skipped or done from any state', () => {
    for (const to of ['pending', 'blocked', 'skipped', 'done'] as const) expect(canTransition('running', to, 'human')).toBe(true);
    expect(canTransition('pending', 'running', 'human')).toBe(false);
  });

  it('records every transition in the history', () => {
    const s = transition(transition(newTaskStatus('T01', NOW), 'blocked', { by: 'human', note: 'held by Ana', now: NOW }), 'pending', { by: 'human', now: NOW });
    expect(s.history.map((h) => [h.from, h.to, h.note])).toEqual([
      [undefined, 'pending', undefined],
      ['pending', 'blocked', 'held by Ana'],
      ['blocked', 'pending', undefined],
    ]);
  });
});

describe('atomic writes', () => {
  it('leave the old content when the write fails', async () => {
    const dir = testdir({ 'state.json': '{"old":true}\n' });
    mkdirSync(join(dir, 'blocker.json'));
    writeFileSync(join(dir, 'blocker.json', 'inside'), 'x');
    await expect(writeJsonAtomically(join(dir, 'blocker.json'), { new: true })).rejects.toMatchObject({ code: 'IO' });
    await expect(writeFileAtomically(join(dir, 'state.json', 'child'), 'x')).rejects.toThrow(/^cannot write .*state\.json\/child: /);
    expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe('{"old":true}\n');
    expect(readdirSync(dir).sort()).toEqual(['blocker.json', 'state.json']);
  });
});

describe('JSON Lines ledgers', () => {
  it('appends whole lines, in order, even when called concurrently', async () => {
    const path = join(testdir(), 'sessions.jsonl');
    await Promise.all(Array.from({ length: 50 }, (_, i) => appendJsonLine(path, { i })));
    const { records, skipped } = await readJsonLines(path);
    expect(records).toEqual(Array.from({ length: 50 }, (_, i) => ({ i })));
    expect(skipped).toEqual([]);
  });

  it('skips and reports a torn last line left by a crash', async () => {
    const dir = testdir({ 'ledger.jsonl': '{"a":1}\n{"a":2}\n{"a":' });
    const { records, skipped } = await readJsonLines(join(dir, 'ledger.jsonl'));
    expect(records).toEqual([{ a: 1 }, { a: 2 }]);
    expect(skipped).toEqual([{ line: 3, reason: 'unfinished last line (a crash during a write)' }]);
  });
});
