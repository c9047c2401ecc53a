// Issue #15: `conductor retry <id>` while another conductor holds the run. A
// blocked task goes back to pending through tasks/BACKLOG.yaml alone, and the
// running conductor picks it up and records the retry as a human event; a
// failed task (maybe in that conductor's hands) and a lock held by a command
// that runs no tasks are refused with what to do.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backlog, writeTask } from './helpers/backlogs.js';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));

async function until(what: string, check: () => boolean, ms = 40_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const stateOf = (repo: string, id: string) => new RegExp(`id: ${id},[^\\n]*status: (\\w+)`).exec(readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8'))?.[1] ?? 'pending';

/** A lock as a live conductor running `command` holds it (this test's own process stands for it). */
function holdLock(repo: string, command: string) {
  mkdirSync(join(repo, '.conductor'), { recursive: true });
  writeFileSync(join(repo, '.conductor', 'lock'), JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), command }));
}

const withStates = (t01: string, t02: string) => backlog(writeTask('T01', 'First').replace(' }\n', `, status: ${t01}, attempts: 1 }\n`), writeTask('T02', 'Second').replace(' }\n', `, status: ${t02}, attempts: 1 }\n`));

describe('conductor retry while a conductor runs', () => {
  it('a blocked task goes back to pending through the backlog; the running conductor runs it again and records the retry', async () => {
    const log = join(testdir(), 'prompts.jsonl');
    const env = { SCRIPT_LOG: log, SCRIPT_EDIT: 'src/{task}.ts=export const done = true;', SCRIPT_RUN_T01: JSON.stringify([['sleep', '25']]), SCRIPT_VERDICT_T02: 'changes' };
    const config = `provider: scripted\nattempts: 1\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify(env)}\n`;
    const repo = gitdir({ 'conductor.config.yaml': config, 'tasks/BACKLOG.yaml': backlog(writeTask('T01', 'First'), writeTask('T02', 'Second')), 'src/app.ts': 'export {};\n', '.gitignore': 'worktrees/\n.conductor/\ntasks/\n' });
    const implementers = (id: string) => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { role: string; prompt: string }).filter((e) => e.role === 'implementer' && e.prompt.includes(`# Task ${id}`)).length : 0);

    const run = conductor(['implement'], { cwd: repo, timeoutMs: 90_000 });
    await until('T02 to be blocked', () => stateOf(repo, 'T02') === 'blocked');
    expect(stateOf(repo, 'T01')).toBe('running');
    const running = await conductor(['retry', 'T01'], { cwd: repo });
    expect([running.exitCode, running.stderr]).toEqual([2, "conductor: T01 is running: only a blocked or failed task can be retried\nhint: conductor status shows every task's state"]);
    const retry = await conductor(['retry', 'T02'], { cwd: repo });
    expect(retry.exitCode, retry.stderr).toBe(0);
    expect(retry.stdout).toMatch(/^T02 is pending again with 0 attempts in tasks\/BACKLOG\.yaml \(was blocked\); the conductor running here \(pid \d+, "conductor implement"\) starts it at its next decision if it is still starting tasks, and records the retry in T02's history; if it ends without running T02, run conductor resume$/);

    const result = await run;
    expect(result.exitCode).toBe(1);
    expect(result.stdout.split('\n')[0]).toBe('2 tasks: 1 done, 1 blocked'); // the scripted reviewer asks for changes again
    expect(implementers('T02')).toBe(2);
    const record = JSON.parse(readFileSync(join(repo, 'tasks', 'T02.status.json'), 'utf8')) as { history: { from?: string; to: string; kind?: string; cause?: string; attempt?: number }[] };
    const human = record.history.findIndex((e) => e.kind === 'human');
    expect(record.history[human]).toMatchObject({ from: 'blocked', to: 'pending', cause: 'retried-by-hand', attempt: 1 });
    expect(record.history.slice(human + 1).map((e) => e.to)).toEqual(['ready', 'running', 'verifying', 'review', 'failed', 'blocked']);
  }, 120_000);

  it('a failed task is refused while a conductor runs: it may be retrying it', async () => {
    const repo = gitdir({ 'tasks/BACKLOG.yaml': withStates('done', 'failed') });
    holdLock(repo, 'conductor run demo.md');
    const result = await conductor(['retry', 'T02'], { cwd: repo });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(`conductor: T02 is failed, and the conductor running here (pid ${process.pid}, "conductor run demo.md") may be trying it again now\nhint: wait for it to end (conductor status --watch follows it), then conductor retry T02`);
    expect(stateOf(repo, 'T02')).toBe('failed');
  });

  it('a lock held by a command that runs no tasks: exit 3, try again once it ends', async () => {
    const repo = gitdir({ 'tasks/BACKLOG.yaml': withStates('done', 'blocked') });
    holdLock(repo, 'conductor clean');
    const result = await conductor(['retry', 'T02'], { cwd: repo });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/^conductor: another conductor \(pid \d+, "conductor clean", since \S+\) holds this repository's lock\nhint: wait for it to end, then conductor retry T02 again$/);
    expect(stateOf(repo, 'T02')).toBe('blocked');
  });
});
