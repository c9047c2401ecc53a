// Phase 4's outcomes end to end, with scripted agents at concurrency > 1:
// approve; changes then approve; rebase then approve; three failures →
// blocked; merge conflict → regenerated and merged; forbidden path → failed
// without review; no usable verdict in three reviewer sessions → left in
// review for a human, the worker not charged (issue #13; it used to be a failed attempt).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateBacklogText } from '../src/backlog/validate-backlog.js';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { worktreePath } from './helpers/worktree-path.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

const BACKLOG = `version: 1
feature: outcomes
tasks:
  # approved at once
  - { id: T01, title: Approve, description: Write src/T01.ts., acceptance: [it exists], scope: { files_hint: [src/T01.ts] } }
  - { id: T02, title: Changes, description: Write src/T02.ts., depends_on: [T01], acceptance: [it exists], scope: { files_hint: [src/T02.ts] } }
  - { id: T03, title: Rebase, description: Write src/T03.ts., acceptance: [it exists], scope: { files_hint: [src/T03.ts] } } # rewritten by the rebase agent
  - { id: T04, title: Always broken, description: Write src/T04.ts., acceptance: [it exists], scope: { files_hint: [src/T04.ts] } }
  - { id: T05, title: Conflict, description: Write src/T05.ts., acceptance: [it exists], scope: { files_hint: [src/T05.ts] } }
  - { id: T06, title: Forbidden, description: Write src/T06.ts., acceptance: [it exists], scope: { files_hint: [src/T06.ts], forbidden: [config/**] } }
  - { id: T07, title: Garbage verdict, description: Write src/T07.ts., acceptance: [it exists], scope: { files_hint: [src/T07.ts] } }
  - { id: T08, title: Conflict too, description: Write src/T08.ts., acceptance: [it exists], scope: { files_hint: [src/T08.ts] } }
`;

/** The gate: no src/*.ts may say BROKEN. */
const CHECK = `const fs = require("fs"); for (const f of fs.readdirSync("src")) { if (fs.readFileSync("src/" + f, "utf8").includes("BROKEN")) { console.error(f + " is BROKEN"); process.exit(1) } }`;

function outcomesRepo(extraEnv: Record<string, string> = {}) {
  const log = join(testdir(), 'prompts.jsonl');
  const env = {
    SCRIPT_LOG: log,
    SCRIPT_EDIT: 'src/{task}.ts=export const done = "{task} attempt {attempt}";',
    SCRIPT_EDIT_T05: 'src/T05.ts=export const five = 5;|src/shared.ts=export const owner = "T05 attempt {attempt}";',
    SCRIPT_EDIT_T08: 'src/T08.ts=export const eight = 8;|src/shared.ts=export const owner = "T08 attempt {attempt}";',
    // T05's first worker waits (at most 30 s) until T08's worktree exists: both then start from the same tip and
    // the second to merge collides on src/shared.ts, however slow worktree creation is on the machine.
    SCRIPT_RUN_T05_1: JSON.stringify([['sh', '-c', 'i=0; until [ -e "$(git rev-parse --path-format=absolute --git-common-dir)/worktrees/T08" ] || [ $i -ge 300 ]; do sleep 0.1; i=$((i+1)); done']]),
    SCRIPT_EDIT_T04: 'src/T04.ts=BROKEN attempt {attempt}',
    SCRIPT_EDIT_T06_1: 'src/T06.ts=export const six = 6;|config/secrets.json={}',
    SCRIPT_VERDICT_T02: 'changes,approve',
    SCRIPT_VERDICT_T03: 'rebase,approve',
    SCRIPT_VERDICT_T07: 'garbage,approve',
    ...extraEnv,
  };
  const config = `provider: scripted\nconcurrency: 8\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify(env)}\ngates:\n  - { name: test, run: [${JSON.stringify(process.execPath)}, check.js] }\n`;
  const repo = gitdir({ 'conductor.config.yaml': config, 'tasks/BACKLOG.yaml': BACKLOG, 'src/app.ts': 'export {};\n', 'check.js': CHECK, '.gitignore': 'worktrees/\n.conductor/\n' });
  const prompts = () => readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { role: string; attempt: number; prompt: string });
  const statusOf = (id: string) => JSON.parse(readFileSync(join(repo, 'tasks', `${id}.status.json`), 'utf8')) as { status: string; attempt: number; note?: string; history: { to: string; note?: string }[] };
  return { repo, prompts, statusOf };
}

describe('review outcomes in one run', () => {
  it('approves, asks for changes, rebases, blocks, regenerates a conflict, rejects a forbidden path and leaves a task with no usable verdict in review', async () => {
    const { repo, prompts, statusOf } = outcomesRepo();
    const result = await conductor(['implement'], { cwd: repo, timeoutMs: 150_000 });
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(1); // T04 is blocked, T07 waits in review
    const notes = ['T01', 'T02', 'T03', 'T04', 'T05', 'T06', 'T07', 'T08'].map((id) => `${id}: ${statusOf(id).status} ${statusOf(id).note ?? ''}`).join('\n');
    expect(result.stdout.split('\n')[0], `${notes}\n${result.stderr}`).toBe('8 tasks: 6 done, 1 blocked, 1 review');

    const backlog = validateBacklogText(readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8'), 'f').backlog!;
    expect(Object.fromEntries(backlog.tasks.map((t) => [t.id, t.status]))).toEqual({ T01: 'done', T02: 'done', T03: 'done', T04: 'blocked', T05: 'done', T06: 'done', T07: 'review', T08: 'done' });
    const reviewsOf = (id: string) => prompts().filter((p) => p.role === 'reviewer' && p.prompt.includes(`# Task ${id}:`));
    const workersOf = (id: string) => prompts().filter((p) => p.role === 'implementer' && p.prompt.includes(`# Task ${id}:`));

    const notesOf = (id: string) => (existsSync(join(repo, 'tasks', `${id}.notes.md`)) ? readFileSync(join(repo, 'tasks', `${id}.notes.md`), 'utf8') : '(no notes)');
    // approve: one worker, one reviewer, merged.
    expect([statusOf('T01').attempt, workersOf('T01').length], notesOf('T01')).toEqual([1, 1]);

    // changes then approve: the second worker got the required change, in the same worktree.
    expect(statusOf('T02').attempt, notesOf('T02')).toBe(2);
    expect(workersOf('T02')[1]!.prompt).toContain('- handle a refill at zero');
    expect(readFileSync(join(repo, 'tasks', 'T02.notes.md'), 'utf8')).toContain('## Review of attempt 1: changes\n\nscripted changes\n\nRequired changes:\n- handle a refill at zero');

    // rebase then approve: the task was rewritten in BACKLOG.yaml (comments kept), the old code salvaged.
    const t03 = backlog.tasks.find((t) => t.id === 'T03')!;
    expect(t03.description).toBe('Write src/T03.ts. (rewritten after attempt 1)');
    expect(t03.context.constraints).toEqual(['keep all state inside the handler']);
    expect(t03.context.negative_evidence).toContain("Don't keep state in a module global: attempt 1 leaked it between requests");
    const text = readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8');
    expect(text).toContain('  # approved at once\n');
    expect(text).toContain('} # rewritten by the rebase agent\n');
    expect(prompts().filter((p) => p.role === 'rebase').map((p) => /id: (T\d+)/.exec(p.prompt)![1]).sort()).toEqual(['T03', 'T04']);
    expect(workersOf('T03')[1]!.prompt).toContain("Don't keep state in a module global: attempt 1 leaked it between requests");
    expect(sh(repo, 'for-each-ref', '--format=%(refname)', 'refs/conductor/salvage/T03/')).not.toBe('');
    expect(readFileSync(join(repo, 'tasks', 'T03.notes.md'), 'utf8')).toContain('## Rebase after attempt 1 (the reviewer asked for a rebase)');

    // three failures → blocked, with an automatic rebase after the second and a note of what was tried.
    expect(statusOf('T04')).toMatchObject({ status: 'blocked', attempt: 3, note: 'attempts used up (3); last: gates failed: test; see tasks/T04.notes.md' });
    expect(readFileSync(join(repo, 'tasks', 'T04.notes.md'), 'utf8')).toContain('## Rebase after attempt 2 (2 failed attempts in a row)');
    expect(readFileSync(join(repo, 'tasks', 'T04.notes.md'), 'utf8')).toContain('## Blocked\n\nAll 3 attempts are used up. What was tried:\n- attempt 1: gates failed: test\n- attempt 2: gates failed: test\n- rebased after attempt 2 (2 failed attempts in a row)\n- attempt 3: gates failed: test\n');

    // merge conflict → regenerated from the new tip and merged: whichever of T05/T08 merged second collided on src/shared.ts.
    const collided = ['T05', 'T08'].filter((id) => statusOf(id).history.some((h) => h.to === 'conflict'));
    expect(collided).toHaveLength(1);
    const loser = collided[0]!;
    expect(statusOf(loser).history.find((h) => h.to === 'conflict')!.note).toBe('merge conflict in src/shared.ts');
    expect(workersOf(loser)[1]!.prompt).toContain('merging hit a conflict in src/shared.ts');
    expect(sh(repo, 'show', 'conductor/outcomes:src/shared.ts')).toBe(`export const owner = "${loser} attempt 2";`);

    // forbidden path → failed before any review.
    expect(statusOf('T06').history.find((h) => h.to === 'failed')!.note).toBe('touched forbidden paths: config/secrets.json');
    expect(reviewsOf('T06')).toHaveLength(1);
    expect(sh(repo, 'ls-tree', '-r', '--name-only', 'conductor/outcomes')).not.toContain('config/secrets.json');

    // no usable verdict in three sessions → the task waits in review; the worker's attempt is not failed.
    expect(reviewsOf('T07')).toHaveLength(3);
    expect(workersOf('T07')).toHaveLength(1);
    expect(statusOf('T07').history.some((h) => h.to === 'failed')).toBe(false);
    expect(statusOf('T07')).toMatchObject({ status: 'review', attempt: 1, note: expect.stringContaining("the reviewer's reply was not a valid verdict: the reply holds no JSON object") });

    // Every session was new; finished worktrees and merged branches are gone; the repo map follows the merges.
    const ledger = readFileSync(join(repo, '.conductor', 'sessions.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { sessionId: string }).sessionId);
    expect(new Set(ledger).size).toBe(ledger.length);
    for (const id of ['T01', 'T02', 'T03', 'T05', 'T06', 'T08']) expect(existsSync(worktreePath(repo, id))).toBe(false);
    expect(sh(repo, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/task/')).toBe('task/T04\ntask/T07'); // blocked, or waiting for a review: kept
    expect(readFileSync(join(repo, 'docs', 'repo-map.md'), 'utf8')).toContain('T08.ts');

    const status = await conductor(['status'], { cwd: repo });
    expect(status.stdout).toMatch(/T04 +Always broken +blocked +3/);
  }, 180_000);

  it('keeps the task as it was when the rebase agent changes its id, and says so', async () => {
    const { repo, statusOf } = outcomesRepo({ SCRIPT_REBASE: 'bad' });
    const result = await conductor(['implement', '--only', 'T03'], { cwd: repo });
    expect(result.stderr).toMatch(/rebase T03: the rebase agent's task was rejected: the task's id must stay T03 \(got "T99"\) \(reply saved in \.conductor\/sessions\/[0-9a-f-]{36}\/output\.md\); asking a new session/);
    expect(statusOf('T03').status).toBe('done');
    const backlog = validateBacklogText(readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8'), 'f').backlog!;
    expect(backlog.tasks.find((t) => t.id === 'T03')!.description).toBe('Write src/T03.ts.');
    expect(readFileSync(join(repo, 'tasks', 'T03.notes.md'), 'utf8')).toMatch(/The rebase agent gave no usable task \(the rebase agent's task was rejected: the task's id must stay T03 \(got "T99"\) \(reply saved in \.conductor\/sessions\/[0-9a-f-]{36}\/output\.md\)\)/);
  }, 120_000);
});
