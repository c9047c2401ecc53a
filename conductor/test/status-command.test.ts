import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { newTaskStatus, transition } from '../src/state/status-file.js';
import { BIN, conductor } from './helpers/cli.js';
import { gitdir } from './helpers/dirs.js';

const BACKLOG = `version: 1
feature: demo
tasks:
  - { id: T01, title: Token bucket module, description: x, acceptance: [a], scope: { files_hint: [a.ts] }, status: done, attempts: 1 }
  - { id: T02, title: Express middleware, description: x, depends_on: [T01], acceptance: [a], scope: { files_hint: [b.ts] }, status: running, attempts: 2 }
  - { id: T03, title: Tests, description: x, depends_on: [T02], acceptance: [a], scope: { files_hint: [c.ts] } }
`;

function setup() {
  const repo = gitdir({ 'tasks/BACKLOG.yaml': BACKLOG });
  const t0 = new Date('2026-11-21T10:00:00.000Z');
  let done = transition(transition(newTaskStatus('T01', t0), 'ready', { now: t0 }), 'running', { now: t0 });
  done = { ...done, attempt: 1, startedAt: '2026-11-21T10:00:00.000Z', endedAt: '2026-11-21T10:04:12.000Z' };
  writeFileSync(join(repo, 'tasks', 'T01.status.json'), JSON.stringify(done));
  writeFileSync(join(repo, 'tasks', 'T03.status.json'), '{"id": "T03", "sta');
  mkdirSync(join(repo, '.conductor'));
  const ledger = [
    { at: 'x', sessionId: 'a', role: 'implementer', taskId: 'T01', attempt: 1, provider: 'claude', promptBytes: 1, promptSha256: 'x', inputTokens: 12000, outputTokens: 2100, costUsd: 0.4, durationMs: 1, exit: 'ok', log: 'l' },
    { at: 'x', sessionId: 'b', role: 'reviewer', taskId: 'T01', attempt: 1, provider: 'claude', promptBytes: 1, promptSha256: 'x', inputTokens: 300, outputTokens: 20, costUsd: 0.02, durationMs: 1, exit: 'ok', log: 'l' },
    { at: 'x', sessionId: 'c', role: 'planner-spec', attempt: 1, provider: 'gemini', promptBytes: 1, promptSha256: 'x', inputTokens: 9000, outputTokens: 900, durationMs: 1, exit: 'ok', log: 'l' },
  ];
  writeFileSync(join(repo, '.conductor', 'sessions.jsonl'), ledger.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return repo;
}

describe('conductor status', () => {
  it('prints one row per task with state, attempt, elapsed time, tokens and cost', async () => {
    const repo = setup();
    const result = await conductor(['status'], { cwd: repo });
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines.filter((_, i) => i !== 4)).toEqual([
      'ID   TITLE                STATE    ATTEMPT  ELAPSED  TOKENS IN/OUT  COST',
      'T01  Token bucket module  done     1        4m12s    12.3k/2.1k     $0.42',
      'T02  Express middleware   running  2        -        -              -',
      'T03  Tests                pending  0        -        -              -',
      '',
      '3 tasks: 1 done, 1 running, 1 pending',
    ]);
    // The JSON parser's own wording differs between Node versions.
    expect(lines[4]).toMatch(/^ {2}T03: status file unreadable: not valid JSON \(Unterminated string in JSON at position 18.*\)$/);
    expect(existsSync(join(repo, 'tasks', 'T03.status.json'))).toBe(true); // read-only: nothing moved
  });

  it('prints { run, tasks } as JSON (run null when there is no run record)', async () => {
    const repo = setup();
    const { run, tasks: rows } = JSON.parse((await conductor(['status', '--json'], { cwd: repo })).stdout) as { run: unknown; tasks: { id: string; costUsd?: number; elapsedMs?: number }[] };
    expect(run).toBeNull();
    expect(rows.map((r) => [r.id, r.costUsd, r.elapsedMs])).toEqual([
      ['T01', 0.42000000000000004, 252_000],
      ['T02', undefined, undefined],
      ['T03', undefined, undefined],
    ]);
  });

  it('refuses an invalid backlog with exit 2', async () => {
    const repo = gitdir({ 'tasks/BACKLOG.yaml': 'version: 1\nfeature: x\ntasks: [1]\n' });
    const result = await conductor(['status'], { cwd: repo });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('conductor: tasks/BACKLOG.yaml is not valid');
  });

  it('keeps redrawing with --watch while a conductor runs, then exits with the run\'s outcome', async () => {
    const repo = setup();
    const journal = { runId: 'r1', requestPath: 'demo.md', slug: 'demo', specDir: join(repo, 'specs', 'demo'), dontTouch: [], phase: 'implement', state: 'running', startedAt: '2026-11-21T09:00:00.000Z', updatedAt: '2026-11-21T09:00:00.000Z' };
    writeFileSync(join(repo, '.conductor', 'run.json'), JSON.stringify(journal));
    // This test's own process stands for the conductor that holds the lock.
    writeFileSync(join(repo, '.conductor', 'lock'), JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: journal.startedAt, command: 'conductor run demo.md' }));
    const child = execa(process.execPath, [BIN, 'status', '--watch'], { cwd: repo, reject: false, stdin: 'ignore' });
    let seen = '';
    await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => ((seen += d.toString()), seen.split('3 tasks:').length > 2 && resolve())));
    expect(seen).toContain('run: demo, running (implement phase)\nnext: nothing: it is running (conductor status --watch follows it to the end)\n');
    writeFileSync(join(repo, '.conductor', 'run.json'), JSON.stringify({ ...journal, state: 'finished', unfinished: ['T02', 'T03'] }));
    rmSync(join(repo, '.conductor', 'lock'));
    const result = await child;
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('run: demo, finished\nnot done: T02, T03\n');
  });

  it('--watch on a run a crash left running (no conductor holds the lock) ends at once: interrupted, exit 130', async () => {
    const repo = setup();
    writeFileSync(join(repo, '.conductor', 'run.json'), JSON.stringify({ runId: 'r1', requestPath: 'demo.md', slug: 'demo', specDir: join(repo, 'specs', 'demo'), dontTouch: [], phase: 'implement', state: 'running', startedAt: '2026-11-21T09:00:00.000Z', updatedAt: '2026-11-21T09:00:00.000Z' }));
    const result = await conductor(['status', '--watch'], { cwd: repo });
    expect(result.exitCode).toBe(130);
    expect(result.stdout.startsWith('run: demo, interrupted (implement phase)\nnext: conductor resume\n')).toBe(true);
  });

});
