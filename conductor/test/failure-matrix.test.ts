// Rows of docs/RELIABILITY.md that had no test of their own: a crash in the
// middle of a merge (3), resume run again (7), a state file that cannot be
// written (15), a rate limit (21), an agent past its time cap (23), hostile
// task titles (29), a human editing the backlog mid-run (35) and a corrupt
// status file on resume (36).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readLedger } from '../src/agents/ledger.js';
import { commandProvider } from '../src/agents/providers/command.js';
import { runAgentCall } from '../src/agents/session.js';
import { normalizeTask } from '../src/backlog/types.js';
import { validateBacklogText } from '../src/backlog/validate-backlog.js';
import { normalizeConfig } from '../src/config/load-config.js';
import { WorktreeManager } from '../src/git/worktrees.js';
import type { PhaseContext } from '../src/phases/call-role.js';
import { runTaskAttempt } from '../src/phases/task-attempt.js';
import { conductor, maskLogs, STACK_FRAME } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { worktreePath } from './helpers/worktree-path.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const AGENT = fileURLToPath(new URL('./fixtures/fake-agent.mjs', import.meta.url));
const sh = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();

const BACKLOG = `version: 1
feature: demo
tasks:
  - { id: T01, title: First, description: Write src/T01.ts., acceptance: [it exists], scope: { files_hint: [src/T01.ts] } }
  - { id: T02, title: Second, description: Write src/T02.ts., acceptance: [it exists], scope: { files_hint: [src/T02.ts] } }
`;

function project(env: Record<string, string> = {}) {
  const log = join(testdir(), 'prompts.jsonl');
  const config = `provider: scripted\nconcurrency: 1\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify({ SCRIPT_LOG: log, SCRIPT_EDIT: 'src/{task}.ts=export const done = "attempt {attempt}";', ...env })}\ngates:\n  - { name: test, run: [${JSON.stringify(process.execPath)}, -e, "0"] }\n`;
  const repo = gitdir({ 'conductor.config.yaml': config, 'tasks/BACKLOG.yaml': BACKLOG, 'src/app.ts': 'export {};\n', '.gitignore': 'worktrees/\n.conductor/\n' });
  const sessions = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').length : 0);
  const merges = (id: string) => sh(repo, 'log', '--merges', '--format=%s', 'conductor/demo').split('\n').filter((s) => s.startsWith(`Merge ${id}`)).length;
  /** Every agent call so far, as "role task attempt". */
  const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []).map((l) => JSON.parse(l) as { role: string; attempt: number; prompt: string }).map((p) => ({ ...p, call: `${p.role} ${/# Task (T\d+)|id: (T\d+)/.exec(p.prompt)?.slice(1).find(Boolean) ?? '-'} ${p.attempt}` }));
  return { repo, sessions, merges, calls };
}

/** Drop one of the scripted agent's settings from conductor.config.yaml, as if the provider had recovered. */
function unsetScript(repo: string, name: string) {
  const path = join(repo, 'conductor.config.yaml');
  writeFileSync(path, readFileSync(path, 'utf8').replace(new RegExp(`,"${name}":"[^"]*"`), ''));
}

const statusOf = (repo: string, id: string) => JSON.parse(maskLogs(readFileSync(join(repo, 'tasks', `${id}.status.json`), 'utf8'))) as { status: string; attempt: number; note?: string };
const notesOf = (repo: string, id: string) => maskLogs(readFileSync(join(repo, 'tasks', `${id}.notes.md`), 'utf8'));
const LIMIT = 'exit code 1: Error: 429 Too Many Requests: rate limit exceeded, retry later; log: <call.log>';

/** Set a task's status in BACKLOG.yaml, as a crash in that state would leave it. */
function setStatus(repo: string, id: string, status: string) {
  const path = join(repo, 'tasks', 'BACKLOG.yaml');
  const text = readFileSync(path, 'utf8');
  const at = text.indexOf(`id: ${id}`);
  const end = text.indexOf('\n', at);
  const line = text.slice(at, end).replace(/, status: \w+/, '').replace(/\s*\}$/, `, status: ${status} }`);
  writeFileSync(path, `${text.slice(0, at)}${line}${text.slice(end)}`);
}

describe('a crash in the middle of a merge (row 3)', () => {
  it('is found on resume, aborted, and merged again: the integration branch was old or new, never half', async () => {
    const { repo, merges } = project();
    expect((await conductor(['implement', '--only', 'T01'], { cwd: repo })).exitCode).toBe(1); // T02 not asked for
    // T02's work is committed on its branch and its merge was started when conductor died.
    const integration = worktreePath(repo, '_integration');
    const tip = sh(repo, 'rev-parse', 'conductor/demo');
    sh(repo, 'branch', 'task/T02', tip);
    sh(repo, 'worktree', 'add', '-q', worktreePath(repo, 'T02'), 'task/T02');
    mkdirSync(join(worktreePath(repo, 'T02'), 'src'), { recursive: true });
    writeFileSync(join(worktreePath(repo, 'T02'), 'src', 'T02.ts'), 'export const done = "attempt 1";\n');
    sh(worktreePath(repo, 'T02'), 'add', '-A');
    sh(worktreePath(repo, 'T02'), 'commit', '-q', '-m', 'T02: Second (attempt 1)');
    sh(integration, 'merge', '--no-ff', '--no-commit', 'task/T02');
    expect(existsSync(sh(integration, 'rev-parse', '--path-format=absolute', '--git-path', 'MERGE_HEAD'))).toBe(true);
    expect(sh(repo, 'rev-parse', 'conductor/demo')).toBe(tip); // old, not half
    setStatus(repo, 'T02', 'merging');

    const result = await conductor(['implement'], { cwd: repo });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stderr).toContain('implement: aborted a merge a crash left half-done');
    expect([merges('T01'), merges('T02')]).toEqual([1, 1]);
    expect(sh(repo, 'show', 'conductor/demo:src/T02.ts')).toContain('export const done');
    expect(sh(integration, 'status', '--porcelain')).toBe('');
  });
});

describe('resume run again after everything is done (row 7)', () => {
  it('merges nothing twice, commits nothing, starts no agent', async () => {
    const { repo, sessions, merges } = project();
    expect((await conductor(['implement'], { cwd: repo })).exitCode).toBe(0);
    const tip = sh(repo, 'rev-parse', 'conductor/demo');
    const before = sessions();
    for (let i = 0; i < 2; i += 1) {
      const again = await conductor(['implement'], { cwd: repo });
      expect(again.exitCode, again.stdout + again.stderr).toBe(0);
      expect(again.stdout).toBe('2 tasks: 2 done\nall merged into conductor/demo; merge it into your branch with: git merge conductor/demo');
    }
    expect(sh(repo, 'rev-parse', 'conductor/demo')).toBe(tip);
    expect([merges('T01'), merges('T02')]).toEqual([1, 1]);
    expect(sessions()).toBe(before);
  });
});

describe('a state file that cannot be written (row 15)', () => {
  it('fails cleanly, naming the file, and leaves the old state intact', async () => {
    const { repo } = project();
    const backlogBefore = readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8');
    mkdirSync(join(repo, 'tasks', 'BACKLOG.md', 'in-the-way'), { recursive: true }); // the rename onto it fails, as on a full or read-only disk
    const result = await conductor(['implement'], { cwd: repo });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('conductor: cannot write tasks/BACKLOG.md: a directory is in the way\nhint: move the directory out of the way, then continue with `conductor resume` (or the same command again): what was written before is intact');
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(readdirSync(join(repo, 'tasks', 'BACKLOG.md'))).toEqual(['in-the-way']);
    expect(readdirSync(join(repo, 'tasks')).filter((f) => f.includes('.tmp') || /\.\d+$/.test(f))).toEqual([]); // no temp files left
    const backlogAfter = readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8');
    expect(validateBacklogText(backlogAfter, 'BACKLOG.yaml').problems).toEqual([]); // whole and valid
    expect(backlogAfter.split('\n').slice(0, 3)).toEqual(backlogBefore.split('\n').slice(0, 3));
  });
});

describe('an agent past its time cap (row 23)', () => {
  it('is stopped at the hard timeout and recorded as timed-out in the ledger', async () => {
    const conductorDir = join(testdir(), '.conductor');
    const provider = commandProvider('fake', { command: [process.execPath, AGENT, 'chatty-forever'] });
    const result = await runAgentCall(provider, { role: 'implementer', taskId: 'T01', attempt: 1, prompt: 'loop', cwd: testdir(), timeouts: { inactivityMs: 5000, hardMs: 600, graceMs: 200 } }, { conductorDir });
    expect(result.exit).toBe('timed-out');
    const { entries } = await readLedger(conductorDir);
    expect(entries).toEqual([expect.objectContaining({ sessionId: result.sessionId, taskId: 'T01', exit: 'timed-out' })]);
  });
});

describe('a hostile task title (row 29)', () => {
  it('never reaches a shell: it is committed as text and runs nothing', async () => {
    const repo = gitdir({ 'src/bucket.ts': 'export const x = 0;\n', '.gitignore': 'worktrees/\n' });
    const worktrees = new WorktreeManager(repo);
    await worktrees.ensureIntegration('demo', 'HEAD');
    const title = '$(touch PWNED) `touch PWNED2` "q" \'s\' ; rm -rf ~';
    const task = normalizeTask({ id: 'T01', title, description: 'Set x to 1.\n$(touch PWNED3)', acceptance: ['x is 1'], scope: { files_hint: ['src/bucket.ts'] } });
    const config = normalizeConfig({ provider: 'scripted', providers: { scripted: { command: [process.execPath, SCRIPT], env: { SCRIPT_EDIT: 'src/bucket.ts=export const x = 1;' } } } });
    const ctx: PhaseContext = { repoRoot: repo, conductorDir: join(repo, '.conductor'), config, defaultProvider: 'scripted', runId: 'test-run', report: () => undefined };
    const outcome = await runTaskAttempt(ctx, { task, attempt: 1, integrationBranch: 'conductor/demo', worktrees, gates: [{ name: 'echo', run: ['echo', title] }], baselineFailures: new Set<string>() });
    expect(outcome.result).toBe('verified');
    expect(sh(outcome.worktree, 'log', '-1', '--format=%s')).toBe(`T01: ${title} (attempt 1)`);
    for (const dir of [repo, outcome.worktree]) expect(readdirSync(dir).filter((f) => f.startsWith('PWNED'))).toEqual([]);
  });
});

describe('a corrupt status file on resume (row 36)', () => {
  it('is set aside and reported, and the task\'s state is rebuilt from the backlog and git', async () => {
    const { repo, sessions, merges } = project();
    expect((await conductor(['implement', '--only', 'T01'], { cwd: repo })).exitCode).toBe(1);
    // A crash after T01's merge, before its status was final; its status file is torn.
    setStatus(repo, 'T01', 'merging');
    sh(repo, 'branch', 'task/T01', sh(repo, 'rev-parse', 'conductor/demo^2'));
    writeFileSync(join(repo, 'tasks', 'T01.status.json'), '{"id": "T01", "status": "mer');
    const before = sessions();
    const result = await conductor(['implement', '--only', 'T01'], { cwd: repo });
    expect(result.stderr).toMatch(/implement: tasks\/T01\.status\.json was unreadable \(not valid JSON \(Unterminated string in JSON at position 28\)\); set aside as \S+T01\.status\.json\.corrupt-\S+/);
    const aside = readdirSync(join(repo, 'tasks')).filter((f) => f.startsWith('T01.status.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(repo, 'tasks', aside[0]!), 'utf8')).toBe('{"id": "T01", "status": "mer'); // never silently reset
    expect(JSON.parse(readFileSync(join(repo, 'tasks', 'T01.status.json'), 'utf8'))).toMatchObject({ status: 'done', note: 'merged into conductor/demo (found on resume)' });
    expect(sessions()).toBe(before); // rebuilt, not redone
    expect(merges('T01')).toBe(1);
  });
});

describe('a rate limit (row 21)', () => {
  it('pauses new starts and is not counted against the task', async () => {
    const { repo, sessions } = project({ SCRIPT_QUOTA: 'implementer' });
    const result = await conductor(['implement'], { cwd: repo });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('new starts paused after a rate limit (T01: the agent hit a rate limit: ');
    expect(sessions()).toBe(1); // T02 never started
    expect(JSON.parse(readFileSync(join(repo, 'tasks', 'T01.status.json'), 'utf8'))).toMatchObject({ status: 'interrupted', attempt: 0 });
  });

  it('on the reviewer, is not counted either: resume reviews the same commit again and merges it', async () => {
    const { repo, calls } = project({ SCRIPT_QUOTA: 'reviewer' });
    const first = await conductor(['implement'], { cwd: repo });
    expect(first.exitCode).toBe(1);
    expect(maskLogs(first.stdout)).toBe(`2 tasks: 1 interrupted, 1 pending\nnew starts paused after a rate limit (T01: the reviewer hit a rate limit: ${LIMIT}); run conductor resume later\nnot finished: T01, T02 (conductor status shows why; tasks/<id>.notes.md has each attempt)`);
    expect(calls().map((c) => c.call)).toEqual(['implementer T01 1', 'reviewer T01 1']); // one review session, no second try; T02 never started
    expect(statusOf(repo, 'T01')).toMatchObject({ status: 'interrupted', attempt: 0, note: `rate-limited (not the task's fault): the reviewer hit a rate limit: ${LIMIT}; attempt 1's commit is reviewed again on resume` });
    expect(notesOf(repo, 'T01')).toContain(`## Review of attempt 1: cut short\n\nThe reviewer hit a rate limit (the reviewer hit a rate limit: ${LIMIT}); new starts are paused, and this attempt's commit is reviewed again when the run is resumed.\n`);
    const work = sh(repo, 'rev-parse', 'task/T01');
    expect(sh(repo, 'log', '-1', '--format=%s', work)).toBe('T01: First (attempt 1)');

    unsetScript(repo, 'SCRIPT_QUOTA');
    const before = calls().length;
    const second = await conductor(['implement'], { cwd: repo });
    expect(second.exitCode, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toBe('2 tasks: 2 done\nall merged into conductor/demo; merge it into your branch with: git merge conductor/demo');
    expect(second.stderr).toContain('implement: T01 attempt 1: its review was cut short by a rate limit; its commit is checked and reviewed again\n');
    expect(calls().slice(before).map((c) => c.call)).toEqual(['reviewer T01 1', 'implementer T02 1', 'reviewer T02 1']); // no second worker for T01
    expect(statusOf(repo, 'T01')).toMatchObject({ status: 'done', attempt: 1 });
    // The worker's own commit is what was merged.
    const merge = sh(repo, 'log', '--merges', '--format=%P %s', 'conductor/demo').split('\n').find((l) => l.endsWith(' Merge T01: First'))!;
    expect(merge.split(' ')[1]).toBe(work);
    expect(notesOf(repo, 'T01')).toContain('## Attempt 1 checked again for a new review: verified\n');
  });

  it('on the rebase agent after a rebase verdict, is not the rebase agent\'s failure: resume rewrites the task, then implements it', async () => {
    const { repo, calls } = project({ SCRIPT_VERDICT: 'rebase', SCRIPT_QUOTA: 'rebase' });
    const first = await conductor(['implement'], { cwd: repo });
    expect(first.exitCode).toBe(1);
    expect(maskLogs(first.stdout)).toBe(`2 tasks: 1 interrupted, 1 pending\nnew starts paused after a rate limit (T01: the rebase agent hit a rate limit: ${LIMIT}); run conductor resume later\nnot finished: T01, T02 (conductor status shows why; tasks/<id>.notes.md has each attempt)`);
    expect(calls().map((c) => c.call)).toEqual(['implementer T01 1', 'reviewer T01 1', 'rebase T01 1']); // no second rebase session, no attempt 2
    // The reviewer's verdict counts; the rate limit does not.
    expect(statusOf(repo, 'T01')).toMatchObject({ status: 'interrupted', attempt: 1, note: `rate-limited (not the task's fault): the rebase agent hit a rate limit: ${LIMIT}; the task is rewritten on resume` });
    expect(notesOf(repo, 'T01')).toContain(`## Rebase after attempt 1 (the reviewer asked for a rebase)\n\nThe rebase agent hit a rate limit (the rebase agent hit a rate limit: ${LIMIT}); new starts are paused, and the task is rewritten when the run is resumed.\n`);
    expect(notesOf(repo, 'T01')).not.toContain('gave no usable task');
    const rejected = sh(repo, 'rev-parse', 'task/T01'); // kept until the rewrite

    unsetScript(repo, 'SCRIPT_QUOTA');
    unsetScript(repo, 'SCRIPT_VERDICT');
    const before = calls().length;
    const second = await conductor(['implement'], { cwd: repo });
    expect(second.exitCode, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toBe('2 tasks: 2 done\nall merged into conductor/demo; merge it into your branch with: git merge conductor/demo');
    const resumed = calls().slice(before);
    expect(resumed.map((c) => c.call)).toEqual(['rebase T01 1', 'implementer T01 2', 'reviewer T01 2', 'implementer T02 1', 'reviewer T02 1']);
    // The rewrite got what the first one was given: the verdict and what attempt 1 changed.
    expect(resumed[0]!.prompt).toContain('# What the attempt changed\n\n```\nsrc/T01.ts | 1 +\n 1 file changed, 1 insertion(+)\n```');
    expect(resumed[0]!.prompt).toContain('# Review notes\n\nrebase: scripted rebase\n- start over: the approach cannot work\n');
    const t01 = validateBacklogText(readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8'), 'f').backlog!.tasks.find((t) => t.id === 'T01')!;
    expect(t01.description).toBe('Write src/T01.ts. (rewritten after attempt 1)');
    expect(t01.context.negative_evidence).toContain("Don't keep state in a module global: attempt 1 leaked it between requests");
    expect(statusOf(repo, 'T01')).toMatchObject({ status: 'done', attempt: 2 });
    // The rejected attempt's commit was saved before its worktree went.
    expect(sh(repo, 'for-each-ref', '--format=%(objectname)', 'refs/conductor/salvage/T01/').split('\n')).toContain(rejected);
  });

  it('on the rebase agent after two failed attempts, resume retries the rewrite with the two failures', async () => {
    const { repo, calls } = project({ SCRIPT_VERDICT: 'changes', SCRIPT_QUOTA: 'rebase' });
    const first = await conductor(['implement', '--only', 'T01'], { cwd: repo });
    expect(first.exitCode).toBe(1);
    expect(maskLogs(first.stdout).split('\n')[1]).toBe(`new starts paused after a rate limit (T01: the rebase agent hit a rate limit: ${LIMIT}); run conductor resume later`);
    expect(calls().map((c) => c.call)).toEqual(['implementer T01 1', 'reviewer T01 1', 'implementer T01 2', 'reviewer T01 2', 'rebase T01 2']);
    expect(statusOf(repo, 'T01')).toMatchObject({ status: 'interrupted', attempt: 2, note: `rate-limited (not the task's fault): the rebase agent hit a rate limit: ${LIMIT}; the task is rewritten on resume` });

    unsetScript(repo, 'SCRIPT_QUOTA');
    unsetScript(repo, 'SCRIPT_VERDICT');
    const before = calls().length;
    const second = await conductor(['implement', '--only', 'T01'], { cwd: repo });
    expect(second.stdout.split('\n')[0]).toBe('2 tasks: 1 done, 1 pending');
    const resumed = calls().slice(before);
    expect(resumed.map((c) => c.call)).toEqual(['rebase T01 2', 'implementer T01 3', 'reviewer T01 3']);
    expect(resumed[0]!.prompt).toContain('# Review notes\n\nattempt 1: review asked for changes: scripted changes\nattempt 2: review asked for changes: scripted changes\n');
    expect(statusOf(repo, 'T01')).toMatchObject({ status: 'done', attempt: 3 });
    expect(notesOf(repo, 'T01')).toContain('## Rebase after attempt 2 (2 failed attempts in a row)\n\nThe task was rewritten in tasks/BACKLOG.yaml');
  });
});

/** A worker step that edits tasks/BACKLOG.yaml from T01's session, as a human would meanwhile. */
const humanEdit = (js: string) => JSON.stringify([[process.execPath, '-e', `if (process.env.CONDUCTOR_TASK_ID === 'T01') { const fs = require('fs'); const p = require('path').join(require('path').dirname(require('child_process').execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { encoding: 'utf8' }).trim()), 'tasks', 'BACKLOG.yaml'); const t = fs.readFileSync(p, 'utf8'); fs.writeFileSync(p, ${js}); }`]]);

describe('a human editing BACKLOG.yaml during a run (row 35)', () => {
  it('is picked up at the next decision and never overwritten', async () => {
    const { repo, sessions } = project({ SCRIPT_RUN: humanEdit("t.replace('acceptance: [it exists], scope: { files_hint: [src/T02.ts] } }', 'acceptance: [it exists], scope: { files_hint: [src/T02.ts] }, status: skipped }')") });
    const result = await conductor(['implement'], { cwd: repo });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toBe('2 tasks: 1 done, 1 skipped\nall merged into conductor/demo; merge it into your branch with: git merge conductor/demo');
    expect(sessions()).toBe(2); // T01's worker and reviewer; T02 was never started
    expect(readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8')).toContain('status: skipped }');
  });

  it('pauses new starts with the error when the edit is invalid, and keeps the edit', async () => {
    const { repo, sessions } = project({ SCRIPT_RUN: humanEdit("t + '  - { id: T01, title: Again }\\n'") });
    const result = await conductor(['implement'], { cwd: repo });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('implement: tasks/BACKLOG.yaml is not valid; no new starts until it is fixed:');
    expect(result.stderr).toMatch(/BACKLOG\.yaml:6:\d+ error duplicate-id: /);
    expect(sessions()).toBe(2); // T01 finished its attempt; T02 did not start
    expect(readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8')).toContain('  - { id: T01, title: Again }\n');
  });
});
