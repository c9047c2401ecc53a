// Issue #15 item 6: a human sets a running task to skipped or blocked in
// tasks/BACKLOG.yaml mid-run. Its worker is stopped, its work saved to a
// salvage ref, it is never reviewed or merged, and its dependents go on (after
// skipped) or wait (after blocked). Through the built CLI, with a slow worker.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { worktreePath } from './helpers/worktree-path.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
const request = `# Feature Request: Rate Limiter\n\n## User Story\nx\n## Problem Statement\nx\n## Requirements\n- x\n## Constraints\n- x\n## Success Criteria\n- [ ] x\n`;

async function until(what: string, check: () => boolean, ms = 40_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** T01's worker writes its file, then takes 40 s; T02 depends on T01. */
function slowProject() {
  const log = join(testdir(), 'prompts.jsonl');
  const env = { SCRIPT_LOG: log, SCRIPT_EDIT: 'src/{task}-attempt.ts=export const written = "{task} {attempt}";', SCRIPT_RUN_T01: JSON.stringify([['sleep', '40']]) };
  const config = `provider: scripted\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify(env)}\n`;
  const repo = gitdir({ 'conductor.config.yaml': config, 'rate-limiter.md': request, 'src/app.ts': 'export {};\n', '.gitignore': 'worktrees/\n.conductor/\n' });
  const sessions = (role: string) => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { role: string; prompt: string }).filter((e) => e.role === role) : []);
  return { repo, sessions };
}

/** Set `id`'s status in tasks/BACKLOG.yaml from `from` to `to`, as a human's editor would. */
function setByHand(repo: string, id: 'T01' | 'T02', from: string, to: string) {
  const path = join(repo, 'tasks', 'BACKLOG.yaml');
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(`id: ${id}`);
  const end = id === 'T01' ? text.indexOf('id: T02') : text.length;
  expect(text.slice(start, end)).toMatch(new RegExp(`status: ${from}\n`));
  writeFileSync(path, text.slice(0, start) + text.slice(start, end).replace(new RegExp(`status: ${from}\n`), `status: ${to}\n`) + text.slice(end));
}

/** Start the run, wait until T01's worker has written its file, then set T01 to `state` by hand. */
async function stopT01(repo: string, state: 'skipped' | 'blocked') {
  const run = conductor(['run', 'rate-limiter.md', '--yes'], { cwd: repo, timeoutMs: 90_000 });
  await until('T01 to be at work', () => existsSync(join(worktreePath(repo, 'T01'), 'src', 'T01-attempt.ts')));
  const path = join(repo, 'tasks', 'BACKLOG.yaml');
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf('id: T01');
  const end = text.indexOf('id: T02');
  expect(text.slice(start, end)).toMatch(/status: running\n/);
  writeFileSync(path, text.slice(0, start) + text.slice(start, end).replace(/status: running\n/, `status: ${state}\n`) + text.slice(end));
  const edited = Date.now();
  const result = await run;
  return { result, seconds: (Date.now() - edited) / 1000 };
}

function expectStoppedT01(repo: string, state: string) {
  const record = JSON.parse(readFileSync(join(repo, 'tasks', 'T01.status.json'), 'utf8')) as { status: string; history: { from?: string; to: string; note?: string; kind?: string; cause?: string }[] };
  expect(record.status).toBe(state);
  const last = record.history.at(-1)!;
  expect([last.from, last.to, last.kind, last.cause]).toEqual(['interrupted', state, 'human', 'stopped-by-hand']);
  const ref = /its work is in (refs\/conductor\/salvage\/T01\/\S+)$/.exec(last.note ?? '')?.[1];
  expect(last.note).toMatch(new RegExp(`^stopped by hand: set to ${state} in tasks/BACKLOG.yaml while it ran; its work is in refs/conductor/salvage/T01/`));
  // The worker's file, written before it was stopped, is in the salvage ref; not merged anywhere.
  expect(sh(repo, 'show', `${ref!}:src/T01-attempt.ts`)).toBe('export const written = "T01 1";');
  expect(sh(repo, 'ls-tree', '--name-only', 'conductor/rate-limiter', 'src/')).not.toContain('src/T01-attempt.ts');
  expect(existsSync(worktreePath(repo, 'T01'))).toBe(false);
  expect(sh(repo, 'branch', '--list', 'task/T01')).toBe('');
  expect(readFileSync(join(repo, 'tasks', 'T01.notes.md'), 'utf8')).toContain('## Stopped by hand');
  expect(processesIn(repo)).toEqual([]);
}

/** Processes still working in the repository (the worker's `sleep` ran in T01's worktree). */
function processesIn(repo: string): string[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/cwd`).startsWith(repo);
      } catch {
        return false;
      }
    });
}

describe('a human stops a running task from tasks/BACKLOG.yaml', () => {
  it('skipped: the worker is stopped at once, never reviewed or merged, and its dependent runs', async () => {
    const { repo, sessions } = slowProject();
    const { result, seconds } = await stopT01(repo, 'skipped');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('2 tasks: 1 skipped, 1 done\nall merged into conductor/rate-limiter; merge it into your branch with: git merge conductor/rate-limiter');
    expect(result.stderr).toContain('implement: T01 was set to skipped in tasks/BACKLOG.yaml while it ran; stopping it');
    expect(seconds).toBeLessThan(25); // not the worker's 40 s
    expectStoppedT01(repo, 'skipped');
    expect(sessions('reviewer').map((s) => /T0\d/.exec(s.prompt)?.[0])).toEqual(['T02']);
    expect(sh(repo, 'ls-tree', '--name-only', 'conductor/rate-limiter', 'src/')).toContain('src/T02-attempt.ts');
  }, 120_000);

  it('a pending task set to skipped while another runs: its record follows, with a human event', async () => {
    const { repo, sessions } = slowProject();
    const run = conductor(['run', 'rate-limiter.md', '--yes'], { cwd: repo, timeoutMs: 90_000 });
    await until('T01 to be at work', () => existsSync(join(worktreePath(repo, 'T01'), 'src', 'T01-attempt.ts')));
    setByHand(repo, 'T02', 'pending', 'skipped');
    const record = () => (existsSync(join(repo, 'tasks', 'T02.status.json')) ? (JSON.parse(readFileSync(join(repo, 'tasks', 'T02.status.json'), 'utf8')) as { status: string; history: { from?: string; to: string; kind?: string; cause?: string; note?: string }[] }) : undefined);
    await until('T02 to be recorded skipped', () => record()?.status === 'skipped', 20_000);
    setByHand(repo, 'T01', 'running', 'skipped');
    const result = await run;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('implement: T02 was set to skipped in tasks/BACKLOG.yaml (it was pending); recorded');
    const last = record()!.history.at(-1)!;
    expect([last.from, last.to, last.kind, last.cause, last.note]).toEqual(['pending', 'skipped', 'human', 'set-by-hand', 'set to skipped by hand in tasks/BACKLOG.yaml (it was pending)']);
    expectStoppedT01(repo, 'skipped');
    expect(sessions('implementer')).toHaveLength(1); // T02 never started
  }, 120_000);

  it('blocked: the worker is stopped, its work saved, and its dependent waits', async () => {
    const { repo, sessions } = slowProject();
    const { result, seconds } = await stopT01(repo, 'blocked');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('2 tasks: 1 blocked, 1 pending\nnot finished: T01, T02 (conductor status shows why; tasks/<id>.notes.md has each attempt)');
    expect(seconds).toBeLessThan(25);
    expectStoppedT01(repo, 'blocked');
    expect(sessions('reviewer')).toEqual([]);
    expect(sessions('implementer')).toHaveLength(1);
  }, 120_000);
});
