// Issue #15: a repository lives through many runs. `run` where `resume` was
// meant never destroys a human's review, and a second feature never inherits
// the first one's task states.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { BIN, conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
const request = (name: string) => `# Feature Request: ${name}\n\n## User Story\nx\n## Problem Statement\nx\n## Requirements\n- x\n## Constraints\n- x\n## Success Criteria\n- [ ] x\n`;

function project(env: Record<string, string> = {}) {
  const log = join(testdir(), 'prompts.jsonl');
  const config = `provider: scripted\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify({ SCRIPT_LOG: log, SCRIPT_EDIT: 'src/{task}-attempt.ts=export const written = "{task} {attempt}";', ...env })}\n`;
  const repo = gitdir({ 'conductor.config.yaml': config, 'rate-limiter.md': request('Rate Limiter'), 'audit-log.md': request('Audit Log'), 'src/app.ts': 'export {};\n', '.gitignore': 'worktrees/\n.conductor/\n' });
  const roles = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { role: string }).role) : []);
  /** The agent's settings from now on (a hang or a failure taken away, say). */
  const setEnv = (next: Record<string, string>) => {
    const path = join(repo, 'conductor.config.yaml');
    writeFileSync(path, readFileSync(path, 'utf8').replace(/env: .*\n/, `env: ${JSON.stringify({ SCRIPT_LOG: log, SCRIPT_EDIT: 'src/{task}-attempt.ts=export const written = "{task} {attempt}";', ...next })}\n`));
  };
  return { repo, roles, setEnv };
}

const journalOf = (repo: string) => JSON.parse(readFileSync(join(repo, '.conductor', 'run.json'), 'utf8')) as { runId: string; state: string; phase: string; options?: Record<string, unknown> };

/** A backlog a human writes after the backlog agent failed: two tasks, the second on the first. */
const HAND_BACKLOG = `# written by hand
version: 1
feature: rate-limiter
tasks:
  - id: T01
    title: Bucket
    description: a token bucket
    acceptance: [it exists]
    scope: { files_hint: [src/T01-attempt.ts] }
  - id: T02
    title: Middleware
    description: uses the bucket
    depends_on: [T01]
    acceptance: [it exists]
    scope: { files_hint: [src/T02-attempt.ts] }
`;

describe('conductor run on a repository whose last run is not finished', () => {
  it('refuses with exit 2 and names conductor resume, leaving the human\'s edited backlog alone', async () => {
    const { repo, roles } = project();
    expect((await conductor(['run', 'rate-limiter.md'], { cwd: repo })).stdout).toContain('paused at the backlog checkpoint');
    const path = join(repo, 'tasks', 'BACKLOG.yaml');
    const reviewed = `# reviewed by a human\n${readFileSync(path, 'utf8').replace('title: Token bucket module', 'title: Token bucket, reviewed')}`;
    writeFileSync(path, reviewed);
    const calls = roles().length;
    const again = await conductor(['run', 'rate-limiter.md'], { cwd: repo });
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toBe('conductor: the run of "rate-limiter" is not finished: it is paused at the backlog checkpoint; conductor run would start over\nhint: continue it with: conductor resume — or start over with: conductor run rate-limiter.md --restart (its files move to .conductor/runs/; its branches and specs stay)');
    expect(readFileSync(path, 'utf8')).toBe(reviewed);
    expect(roles()).toHaveLength(calls);
  });

  it('starts over with --restart, keeping the earlier run\'s files under .conductor/runs/', async () => {
    const { repo } = project();
    await conductor(['run', 'rate-limiter.md'], { cwd: repo });
    const runId = (JSON.parse(readFileSync(join(repo, '.conductor', 'run.json'), 'utf8')) as { runId: string }).runId;
    const old = readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8');
    const restarted = await conductor(['run', 'rate-limiter.md', '--restart'], { cwd: repo });
    expect(restarted.exitCode, restarted.stderr).toBe(0);
    expect(restarted.stderr).toContain(`run: the earlier run of "rate-limiter" (paused) is kept in .conductor/runs/${runId}/; this run starts with no tasks of its own yet`);
    expect(readFileSync(join(repo, '.conductor', 'runs', runId, 'tasks', 'BACKLOG.yaml'), 'utf8')).toBe(old);
    expect(existsSync(join(repo, '.conductor', 'runs', runId, 'run.json'))).toBe(true);
  });
});

describe('a second feature in the same repository', () => {
  it('builds its own tasks from scratch, though they are numbered from T01 too', async () => {
    const { repo, roles } = project();
    const first = await conductor(['run', 'rate-limiter.md', '--yes'], { cwd: repo });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(roles().filter((r) => r === 'implementer')).toHaveLength(2);
    const second = await conductor(['run', 'audit-log.md', '--yes'], { cwd: repo });
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stderr).not.toContain('states of kept tasks carried over');
    expect(roles().filter((r) => r === 'implementer')).toHaveLength(4);
    expect(second.stdout).toBe('2 tasks: 2 done\nall merged into conductor/audit-log; merge it into your branch with: git merge conductor/audit-log');
    expect(sh(repo, 'rev-parse', 'conductor/audit-log')).not.toBe(sh(repo, 'rev-parse', 'main'));
    expect(sh(repo, 'diff', '--name-only', 'main', 'conductor/audit-log').split('\n').filter((f) => f.startsWith('src/')).sort()).toEqual(['src/T01-attempt.ts', 'src/T02-attempt.ts']);
  });
});

describe('resume continues from the first phase whose output is missing (#15 items 3, 4)', () => {
  it('takes a backlog written by hand after the backlog agent failed, runs no backlog session, and remembers --yes', async () => {
    const { repo, roles } = project({ SCRIPT_FAIL: 'backlog' });
    const failed = await conductor(['run', 'rate-limiter.md', '--yes'], { cwd: repo });
    expect(failed.exitCode).toBe(1);
    expect(roles().filter((r) => r === 'backlog')).toHaveLength(3);
    expect(journalOf(repo)).toMatchObject({ phase: 'backlog', state: 'failed', options: { yes: true } });
    const status = await conductor(['status'], { cwd: repo });
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.stdout.split('\n').slice(0, 3)).toEqual([
      'run: rate-limiter, failed (backlog phase)',
      expect.stringMatching(/^why: no valid backlog after 3 sessions/),
      'next: improve specs/rate-limiter/PLAN.md or write tasks/BACKLOG.yaml by hand (conductor validate checks it), then conductor resume',
    ]);

    mkdirSync(join(repo, 'tasks'), { recursive: true });
    writeFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), HAND_BACKLOG);
    // The agent still fails every backlog session: resume must run none.
    const resumed = await conductor(['resume'], { cwd: repo });
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('resume: with the options the run was started with: --yes\n');
    expect(resumed.stderr).toContain('backlog: tasks/BACKLOG.yaml is valid (2 tasks); taken as written, no backlog session\n');
    expect(roles().filter((r) => r === 'backlog')).toHaveLength(3);
    expect(resumed.stdout).toBe('2 tasks: 2 done\nall merged into conductor/rate-limiter; merge it into your branch with: git merge conductor/rate-limiter');
    expect(readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8').startsWith('# written by hand\n')).toBe(true);
    expect(journalOf(repo)).toMatchObject({ phase: 'implement', state: 'finished' });
  });

  it('keeps the planner documents after a Ctrl-C in plan-merge, refuses run, and resumes with one plan-merge session', async () => {
    const { repo, roles, setEnv } = project({ SCRIPT_HANG: 'plan-merge' });
    const child = execa(process.execPath, [BIN, 'run', 'rate-limiter.md'], { cwd: repo, reject: false, stdin: 'ignore' });
    for (let i = 0; i < 300 && !roles().includes('plan-merge'); i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    const stopped = await child;
    expect(stopped.exitCode, stopped.stderr).toBe(130);
    expect(journalOf(repo)).toMatchObject({ phase: 'plan', state: 'interrupted' });
    expect((await conductor(['status'], { cwd: repo })).stdout).toBe('run: rate-limiter, interrupted (plan phase)\nnext: conductor resume');
    const again = await conductor(['run', 'rate-limiter.md'], { cwd: repo });
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('it is stopped during plan (interrupted); conductor run would start over\nhint: continue it with: conductor resume');

    setEnv({});
    const resumed = await conductor(['resume'], { cwd: repo });
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('plan: SPEC.md kept (written before the run stopped)\n');
    expect(roles().filter((r) => r.startsWith('planner-')).sort()).toEqual(['planner-arch', 'planner-qa', 'planner-spec']);
    expect(roles().filter((r) => r === 'plan-merge')).toHaveLength(2);
    expect(resumed.stdout).toContain('paused at the backlog checkpoint');
    const status = await conductor(['status'], { cwd: repo });
    expect(status.stdout.split('\n').slice(0, 2)).toEqual(['run: rate-limiter, paused at the backlog checkpoint', 'next: review tasks/BACKLOG.yaml, then conductor resume']);
  });
});

describe('conductor status across runs (#15 item 1)', () => {
  it('counts a task\'s tokens in this run only, though an earlier feature had a T01 too', async () => {
    const { repo } = project({ SCRIPT_USAGE: '1000,100' });
    expect((await conductor(['run', 'rate-limiter.md', '--yes'], { cwd: repo })).exitCode).toBe(0);
    expect((await conductor(['run', 'audit-log.md', '--yes'], { cwd: repo })).exitCode).toBe(0);
    const { run, tasks } = JSON.parse((await conductor(['status', '--json'], { cwd: repo })).stdout) as { run: { feature: string; state: string; next: string }; tasks: { id: string; inputTokens: number }[] };
    expect(run).toMatchObject({ feature: 'audit-log', state: 'finished', next: 'git merge conductor/audit-log' });
    const ledger = readFileSync(join(repo, '.conductor', 'sessions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { runId: string; taskId?: string; inputTokens: number });
    const thisRun = (id: string) => ledger.filter((e) => e.runId === journalOf(repo).runId && e.taskId === id).reduce((sum, e) => sum + e.inputTokens, 0);
    expect(thisRun('T01')).toBeGreaterThan(0);
    expect(ledger.filter((e) => e.taskId === 'T01').reduce((sum, e) => sum + e.inputTokens, 0)).toBe(2 * thisRun('T01'));
    expect(tasks.map((t) => [t.id, t.inputTokens])).toEqual([['T01', thisRun('T01')], ['T02', thisRun('T02')]]);
  });
});
