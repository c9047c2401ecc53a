// Issue #15: `conductor status` sees more than the live tasks/ — the earlier runs
// a new run archived to .conductor/runs/<id>/ and the factory builds in
// .conductor/factory/<tag>/: a short list after the live run, `runs` in --json,
// and one of them in full with --run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newTaskStatus, transition } from '../src/state/status-file.js';
import { conductor } from './helpers/cli.js';
import { gitdir } from './helpers/dirs.js';

const backlog = (feature: string, states: string[]) =>
  `version: 1\nfeature: ${feature}\ntasks:\n${states.map((s, i) => `  - { id: T0${i + 1}, title: task ${i + 1}, description: x, acceptance: [a], scope: { files_hint: [f${i}.ts] }, status: ${s}, attempts: ${s === 'pending' ? 0 : 1} }\n`).join('')}`;
const OLD_RUN = 'aaaabbbb-1111-2222-3333-444455556666';
const journal = (runId: string, slug: string, extra: object = {}) => JSON.stringify({ runId, requestPath: `${slug}.md`, slug, specDir: `specs/${slug}`, dontTouch: [], phase: 'implement', state: 'finished', startedAt: '2026-11-20T09:00:00.000Z', updatedAt: '2026-11-20T10:00:00.000Z', ...extra });
const blocked = JSON.stringify({ ...transition(newTaskStatus('T02', new Date('2026-11-20T09:00:00.000Z')), 'blocked', { note: 'attempts used up' }), attempt: 3 });
const ledger = [
  { at: '2026-11-20T09:10:00.000Z', runId: OLD_RUN, sessionId: 'a', role: 'implementer', taskId: 'T01', attempt: 1, provider: 'claude', promptBytes: 1, promptSha256: 'x', inputTokens: 1000, outputTokens: 200, costUsd: 0.5, durationMs: 1, exit: 'ok', log: 'l' },
  { at: '2026-12-01T09:10:00.000Z', runId: 'live-run', sessionId: 'b', role: 'implementer', taskId: 'T01', attempt: 1, provider: 'claude', promptBytes: 1, promptSha256: 'x', inputTokens: 7, outputTokens: 7, costUsd: 9, durationMs: 1, exit: 'ok', log: 'l' },
];

function setup(live = true) {
  return gitdir({
    ...(live ? { 'tasks/BACKLOG.yaml': backlog('audit-log', ['done', 'pending']), '.conductor/run.json': journal('live-run', 'audit-log', { startedAt: '2026-12-01T09:00:00.000Z', state: 'running' }) } : {}),
    '.conductor/runs/aaaabbbb-1111-2222-3333-444455556666/run.json': journal(OLD_RUN, 'rate-limiter', { closed: { how: 'abandoned', at: '2026-11-20T11:00:00.000Z' } }),
    '.conductor/runs/aaaabbbb-1111-2222-3333-444455556666/tasks/BACKLOG.yaml': backlog('rate-limiter', ['done', 'blocked']),
    '.conductor/runs/aaaabbbb-1111-2222-3333-444455556666/tasks/T02.status.json': blocked,
    '.conductor/factory/demo-v1/run.json': JSON.stringify({ runId: 'factory-run', spec: 'demo', version: 1, tag: 'demo-v1', state: 'failed', startedAt: '2026-11-25T08:00:00.000Z', endedAt: '2026-11-25T08:30:00.000Z' }),
    '.conductor/factory/demo-v1/BACKLOG.yaml': backlog('demo', ['done', 'done', 'failed']),
    '.conductor/sessions.jsonl': ledger.map((e) => JSON.stringify(e)).join('\n') + '\n',
  });
}

describe('conductor status and earlier runs', () => {
  it('lists the earlier runs and factory builds after the live run, newest first', async () => {
    const result = await conductor(['status'], { cwd: setup() });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.split('\n').slice(-5)).toEqual([
      '2 tasks: 1 done, 1 pending',
      '',
      'earlier runs, newest first (conductor status --run <id> shows one):',
      '  factory  demo-v1   demo          failed     2/3 done  2026-11-25 08:00',
      '  run      aaaabbbb  rate-limiter  abandoned  1/2 done  2026-11-20 09:00',
    ]);
  });

  it('adds them to --json as runs, keeping run and tasks as they were', async () => {
    const result = await conductor(['status', '--json'], { cwd: setup() });
    expect(result.exitCode, result.stderr).toBe(0);
    const snapshot = JSON.parse(result.stdout) as { run: { feature: string }; tasks: { id: string }[]; runs: unknown[] };
    expect(Object.keys(snapshot)).toEqual(['run', 'tasks', 'runs']);
    expect([snapshot.run.feature, snapshot.tasks.map((t) => t.id)]).toEqual(['audit-log', ['T01', 'T02']]);
    expect(snapshot.runs).toEqual([
      { id: 'demo-v1', kind: 'factory', runId: 'factory-run', feature: 'demo', state: 'failed', tasks: { done: 2, total: 3 }, startedAt: '2026-11-25T08:00:00.000Z', records: '.conductor/factory/demo-v1' },
      { id: OLD_RUN, kind: 'run', runId: OLD_RUN, feature: 'rate-limiter', state: 'abandoned', tasks: { done: 1, total: 2 }, startedAt: '2026-11-20T09:00:00.000Z', records: `.conductor/runs/${OLD_RUN}/tasks` },
    ]);
  });

  it('--run <prefix> shows an earlier run from its archived records, with only its own calls counted', async () => {
    const result = await conductor(['status', '--run', 'aaaab'], { cwd: setup() });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      [
        'run: rate-limiter, abandoned (implement phase)',
        'next: nothing: an earlier run, kept in .conductor/runs/aaaabbbb-1111-2222-3333-444455556666/tasks/ (conductor report --run aaaabbbb for what it cost)',
        'records: .conductor/runs/aaaabbbb-1111-2222-3333-444455556666/tasks/',
        '',
        'ID   TITLE   STATE    ATTEMPT  ELAPSED  TOKENS IN/OUT  COST',
        'T01  task 1  done     1        -        1.0k/200       $0.50',
        'T02  task 2  blocked  3        -        -              -',
        '  T02: attempts used up',
        '',
        '2 tasks: 1 done, 1 blocked',
      ].join('\n'),
    );
  });

  it('--run <tag> shows a factory build; --json gives { run, tasks } of it', async () => {
    const repo = setup();
    const result = await conductor(['status', '--run', 'factory/demo-v1'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.split('\n').slice(0, 3)).toEqual([
      'factory build: demo-v1 (spec demo), failed',
      'next: read .conductor/factory/demo-v1/<id>.notes.md of its unfinished tasks; conductor factory specs/demo builds it again',
      'records: .conductor/factory/demo-v1/',
    ]);
    const json = JSON.parse((await conductor(['status', '--run', 'demo-v1', '--json'], { cwd: repo })).stdout) as { run: { kind: string; state: string }; tasks: { id: string; state: string }[] };
    expect([json.run.kind, json.run.state, json.tasks.map((t) => `${t.id} ${t.state}`)]).toEqual(['factory', 'failed', ['T01 done', 'T02 done', 'T03 failed']]);
  });

  it('with no live run, lists the earlier ones instead of failing on the missing tasks/BACKLOG.yaml', async () => {
    const result = await conductor(['status'], { cwd: setup(false) });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('earlier runs, newest first (conductor status --run <id> shows one):');
  });

  it('--run of a run whose record alone was set aside says there are no task rows, and why', async () => {
    const repo = setup();
    mkdirSync(join(repo, '.conductor', 'runs', 'bare-run'));
    writeFileSync(join(repo, '.conductor', 'runs', 'bare-run', 'run.json'), journal('bare-run', 'old-feature', { startedAt: '2026-11-01T09:00:00.000Z' }));
    const result = await conductor(['status', '--run', 'bare'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.split('\n').slice(2)).toEqual(['records: .conductor/runs/bare-run/tasks/', 'no task rows: .conductor/runs/bare-run/tasks/BACKLOG.yaml is missing (its tasks/ files stayed with the backlog at hand)']);
  });

  it('an unknown --run is one clear error, exit 2', async () => {
    const result = await conductor(['status', '--run', 'zzz'], { cwd: setup() });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('conductor: no earlier run or factory build zzz');
    expect(result.stderr).toContain(`newest first: demo-v1, ${OLD_RUN}`);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
