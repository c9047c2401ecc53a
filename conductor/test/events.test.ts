// The event stream (#17.1): a run scripted end to end appends typed events to
// .conductor/events.jsonl; `conductor events` prints them for a person or as
// JSON Lines; and the stream replayed gives the same {run, tasks} that
// `conductor status --json` showed for the run.
import { existsSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEvents, type ConductorEvent } from '../src/events/event-log.js';
import { replayStatus } from '../src/events/replay.js';
import { endsRun } from '../src/events/tail.js';
import { BIN, conductor } from './helpers/cli.js';
import { scriptedRepo } from './helpers/dashboard.js';
import { testdir } from './helpers/dirs.js';

const withoutTime = (line: string) => line.slice(10);

describe('the event stream', () => {
  it('records a scripted run, prints it, and replays into the status the run showed', async () => {
    const repo = scriptedRepo();
    const run = await conductor(['implement'], { cwd: repo, timeoutMs: 120_000 });
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(1); // T03 is blocked
    expect(run.stdout.split('\n')[0]).toBe('3 tasks: 2 done, 1 blocked');

    // Every line is a version-1 event with a time; the types come from the places state changes.
    const lines = readFileSync(join(repo, '.conductor', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ConductorEvent);
    expect(lines.every((e) => e.v === 1 && !Number.isNaN(Date.parse(e.at)))).toBe(true);
    // A standalone implement keeps a run record too (#15), so the run and its phase are in the stream.
    expect(new Set(lines.map((e) => e.type))).toEqual(new Set(['run', 'phase', 'backlog', 'task', 'attempt', 'session-start', 'session-end', 'gates-start', 'gate-result', 'review', 'merge']));
    const t02 = lines.filter((e) => 'task' in e && e.task === 'T02' && e.type !== 'session-start' && e.type !== 'session-end').map((e) => (e.type === 'task' ? `${e.from}>${e.to}@${e.attempt}` : e.type === 'gate-result' ? `gate ${e.name} ${e.passed}@${e.attempt}` : e.type === 'review' ? `review ${e.verdict}@${e.attempt}` : e.type === 'merge' ? `merge ${e.ok}@${e.attempt}` : `${e.type}@${'attempt' in e ? e.attempt : ''}`));
    expect(t02).toEqual([
      'pending>ready@0', 'ready>running@1', 'attempt@1', 'running>verifying@1', 'gates-start@1', 'gate test false@1', 'verifying>failed@1',
      'failed>ready@1', 'ready>running@2', 'attempt@2', 'running>verifying@2', 'gates-start@2', 'gate test true@2', 'verifying>review@2', 'review approve@2', 'review>merging@2', 'merge true@2', 'merging>done@2',
    ]);
    const sessions = lines.filter((e) => e.type === 'session-end' && e.task === 'T01');
    expect(sessions.map((e) => e.type === 'session-end' && [e.role, e.exit, e.inputTokens, e.outputTokens])).toEqual([['implementer', 'ok', 100, 20], ['reviewer', 'ok', 100, 20]]);

    // Replayed, the stream says what status says.
    const status = await conductor(['status', '--json'], { cwd: repo });
    expect(status.exitCode).toBe(0);
    const { events, skipped } = await readEvents(join(repo, '.conductor', 'events.jsonl'));
    expect(skipped).toEqual([]); // every line is valid against conductor/schemas/events.schema.json
    expect(events).toHaveLength(lines.length);
    expect(replayStatus(events)).toEqual(JSON.parse(status.stdout));

    // For a person: one line each, in order.
    const plain = await conductor(['events'], { cwd: repo });
    expect(plain.exitCode).toBe(0);
    const said = plain.stdout.trimEnd().split('\n');
    expect(said).toHaveLength(lines.length);
    expect(said.every((l) => /^\d\d:\d\d:\d\d {2}/.test(l))).toBe(true);
    const t02Lines = said.map(withoutTime).filter((l) => l.startsWith('T02 ') && !l.includes(' session ')).map((l) => l.replace(/ in \d+\.\ds$/, ' in <s>'));
    expect(said.map(withoutTime).slice(0, 3)).toEqual(['phase implement', 'run events: running', 'backlog of events: 3 tasks']); // the implement phase of its run record (#15), then the backlog
    expect(t02Lines).toEqual([
      'T02  pending → ready (attempt 0)',
      'T02  ready → running (attempt 1)',
      'T02  attempt 1 starts',
      'T02  running → verifying (attempt 1)',
      'T02  gates start (attempt 1)',
      'T02  gate test failed in <s>',
      'T02  verifying → failed (attempt 1, gates): gates failed: test',
      'T02  failed → ready (attempt 1)',
      'T02  ready → running (attempt 2)',
      'T02  attempt 2 starts',
      'T02  running → verifying (attempt 2)',
      'T02  gates start (attempt 2)',
      'T02  gate test passed in <s>',
      'T02  verifying → review (attempt 2)',
      'T02  review of attempt 2: approve — scripted approve',
      'T02  review → merging (attempt 2)',
      'T02  merged into conductor/events',
      'T02  merging → done (attempt 2, merge): merged into conductor/events',
    ]);
    expect(said.map(withoutTime)).toContain('T03  failed → blocked (attempt 2, attempts-used-up): attempts used up (2); last: gates failed: test; see tasks/T03.notes.md');
    expect(said.map(withoutTime).filter((l) => l.startsWith('T01  implementer session ends: ok in '))).toHaveLength(1);
    expect(said.map(withoutTime).find((l) => l.startsWith('T01  implementer session ends'))).toMatch(/^T01 {2}implementer session ends: ok in \d+\.\ds, 100\/20 tokens$/);

    // --json: the file's lines as they are; --follow with no conductor running ends at once.
    const json = await conductor(['events', '--json', '--follow'], { cwd: repo, timeoutMs: 20_000 });
    expect(json.exitCode).toBe(0);
    expect(json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(lines);
  });

  it('follows a live run and ends when it does', async () => {
    // T01's worker takes two seconds: the follow starts while the run goes on.
    const repo = scriptedRepo({ SCRIPT_RUN_T01: JSON.stringify([['sleep', '2']]) });
    const run = execa(process.execPath, [BIN, 'implement'], { cwd: repo, reject: false, stdin: 'ignore' });
    const stream = join(repo, '.conductor', 'events.jsonl');
    for (let i = 0; i < 200 && !(existsSync(stream) && readFileSync(stream, 'utf8').includes('"type":"attempt"')); i++) await new Promise((r) => setTimeout(r, 50));
    const follow = await conductor(['events', '--follow', '--json'], { cwd: repo, timeoutMs: 120_000 });
    expect((await run).exitCode).toBe(1);
    expect(follow.exitCode).toBe(0);
    const followed = follow.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as ConductorEvent);
    expect(followed).toEqual(readFileSync(stream, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown));
    expect(followed.filter((e) => e.type === 'task' && (e.to === 'done' || e.to === 'blocked')).map((e) => e.type === 'task' && `${e.task} ${e.to}`).sort()).toEqual(['T01 done', 'T02 done', 'T03 blocked']);
  });

  it('says plainly when there is no run or no such run', async () => {
    const empty = testdir();
    const none = await conductor(['events'], { cwd: empty });
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toBe('conductor: no run recorded in this repository yet\nhint: conductor run, resume and implement record their events in .conductor/events.jsonl');
    const repo = scriptedRepo();
    const run = await conductor(['implement', '--only', 'T01'], { cwd: repo, timeoutMs: 120_000 });
    expect(run.exitCode, run.stderr).toBe(1);
    const bad = await conductor(['events', '--run', 'nope'], { cwd: repo });
    expect(bad.exitCode).toBe(2);
    const runId = (JSON.parse(readFileSync(join(repo, '.conductor', 'run.json'), 'utf8')) as { runId: string }).runId;
    expect(bad.stderr).toBe(`conductor: --run nope: no such run\nhint: the runs of this repository are ${runId}`);
  });

  it('reads only events valid against the shipped schema', async () => {
    const dir = testdir({
      'events.jsonl': [
        { v: 1, at: '2026-01-01T00:00:00.000Z', type: 'attempt', task: 'T01', attempt: 1 },
        { v: 2, at: '2026-01-01T00:00:00.000Z', type: 'attempt', task: 'T01', attempt: 1 },
        { v: 1, at: '2026-01-01T00:00:00.000Z', type: 'attempt', task: '../T01', attempt: 1 },
        { v: 1, at: '2026-01-01T00:00:00.000Z', type: 'merge', task: 'T01', attempt: 1 },
      ].map((e) => JSON.stringify(e)).join('\n') + '\n{"v":1,"at":"2026',
    });
    const read = await readEvents(join(dir, 'events.jsonl'));
    expect(read.events).toEqual([{ v: 1, at: '2026-01-01T00:00:00.000Z', type: 'attempt', task: 'T01', attempt: 1 }]);
    expect(read.skipped.map((s) => s.reason)).toEqual(['unfinished last line (a crash during a write)', 'not a version-1 event (conductor/schemas/events.schema.json)', 'not a version-1 event (conductor/schemas/events.schema.json)', 'not a version-1 event (conductor/schemas/events.schema.json)']);
  });

  it('ends a follow when the run pauses, fails, is interrupted or finishes implementing; not between phases', () => {
    const run = (state: string, phase: string, closed?: object): ConductorEvent => ({ v: 1, at: '2026-01-01T00:00:00.000Z', type: 'run', journal: { runId: 'r', requestPath: '', slug: 's', specDir: '', dontTouch: [], phase, state, startedAt: '', updatedAt: '', ...(closed ? { closed } : {}) } as never });
    expect([run('running', 'plan'), run('finished', 'plan'), run('finished', 'backlog'), run('paused', 'plan'), run('failed', 'backlog'), run('interrupted', 'implement'), run('finished', 'implement'), run('finished', 'implement', { how: 'abandoned', at: '' })].map(endsRun)).toEqual([false, false, false, true, true, true, true, true]);
  });
});
