// RELIABILITY rows 13, 14, 25 and 38: a worker that moves branches, writes
// outside its worktree or wrecks its worktree fails its attempt, its commits
// are kept, and what conductor owns is put back.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { normalizeTask } from '../src/backlog/types.js';
import { normalizeConfig } from '../src/config/load-config.js';
import { commitWork } from '../src/git/commit-work.js';
import { MergeQueue } from '../src/git/merge-queue.js';
import { WorktreeManager } from '../src/git/worktrees.js';
import type { PhaseContext } from '../src/phases/call-role.js';
import { runTaskAttempt } from '../src/phases/task-attempt.js';
import { findTampering, snapshotGuarded } from '../src/review/tamper-check.js';
import { gitdir } from './helpers/dirs.js';
import { worktreePath } from './helpers/worktree-path.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const node = process.execPath;
const sh = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();
const WGIT = ['git', '-c', 'user.name=worker', '-c', 'user.email=w@w'];

/** The user's checkout as they left it: branch, HEAD, status (but for the directories conductor writes). */
const userState = (repo: string) => ({ branch: sh(repo, 'branch', '--show-current'), head: sh(repo, 'rev-parse', 'HEAD'), status: sh(repo, 'status', '--porcelain', '--untracked-files=all', '--', '.', ':(exclude).conductor', ':(exclude)tasks') });

async function setup() {
  const repo = gitdir({ 'src/bucket.ts': 'export const x = 0;\n', '.gitignore': 'worktrees/\n' });
  writeFileSync(join(repo, 'notes.txt'), 'the user is editing this\n'); // uncommitted user work
  const worktrees = new WorktreeManager(repo);
  await worktrees.ensureIntegration('demo', 'HEAD');
  const task = normalizeTask({ id: 'T01', title: 'Bucket', description: 'Set x to 1.', acceptance: ['x is 1'], scope: { files_hint: ['src/bucket.ts'] } });
  const attempt = (n: number, edit: string, run: string[][] = []) => {
    const config = normalizeConfig({ provider: 'scripted', providers: { scripted: { command: [node, SCRIPT], env: { SCRIPT_EDIT: edit, SCRIPT_RUN: JSON.stringify(run) } } } });
    const ctx: PhaseContext = { repoRoot: repo, conductorDir: join(repo, '.conductor'), config, defaultProvider: 'scripted', runId: 'test-run', report: () => undefined };
    return runTaskAttempt(ctx, { task, attempt: n, integrationBranch: 'conductor/demo', worktrees, gates: [], baselineFailures: new Set<string>() });
  };
  return { repo, worktrees, attempt };
}

const SALVAGE = 'refs/conductor/salvage/T01-[a-z-]+/[0-9TZ-]+';

describe('a worker that moves its own branch (row 13)', () => {
  it('fails when it switches to another branch, keeping the commits it made there', async () => {
    const { repo, attempt } = await setup();
    const outcome = await attempt(1, 'src/bucket.ts=export const x = 1;', [[...WGIT, 'checkout', '-q', '-b', 'side'], [...WGIT, 'commit', '-q', '-am', 'worker wip']]);
    expect(outcome.result).toBe('failed');
    // The branch it made stays while its own worktree is on it (the worktree is set aside after a failed attempt); its commits are kept.
    expect(outcome.reason).toMatch(new RegExp(`^the worker switched its branch to side; the worker created the branch side \\(commits kept in ${SALVAGE}, ${SALVAGE}\\)$`));
    const ref = /\(commits kept in (\S+?),? /.exec(outcome.reason!)![1]!;
    expect(sh(repo, 'log', '-1', '--format=%s', ref)).toBe('worker wip');
    expect(sh(repo, 'rev-parse', 'task/T01')).toBe(sh(repo, 'rev-parse', 'conductor/demo')); // conductor committed nothing
    expect(outcome.negativeEvidence).toEqual(['attempt 1: the worker switched its branch to side; the worker created the branch side; work only inside your worktree and leave branches to conductor']);
  });

  it('fails when it detaches or renames its branch', async () => {
    const { attempt } = await setup();
    expect((await attempt(1, 'src/bucket.ts=export const x = 1;', [['git', 'checkout', '-q', '--detach']])).reason).toMatch(/^the worker detached its HEAD \(commits kept in /);
    const renamed = await attempt(2, 'src/bucket.ts=export const x = 1;', [['git', 'checkout', '-q', 'task/T01'], ['git', 'branch', '-m', 'task/T01', 'mine']]);
    expect(renamed.reason).toMatch(/^the worker switched its branch to mine; the worker renamed or deleted its branch task\/T01; the worker created the branch mine \(commits kept in /);
  });
});

describe('a worker that moves branches only conductor moves (row 14)', () => {
  it('commits to the integration branch: detected, saved, and put back', async () => {
    const { repo, attempt } = await setup();
    const tip = sh(repo, 'rev-parse', 'conductor/demo');
    const outcome = await attempt(1, 'src/bucket.ts=export const x = 1;', [[...WGIT, '-C', '../_integration', 'commit', '-q', '--allow-empty', '-m', 'sneaky']]);
    expect(outcome.result).toBe('failed');
    expect(outcome.reason).toMatch(new RegExp(`^the worker moved the integration branch conductor/demo; conductor put it back \\(commits kept in ${SALVAGE}\\)$`));
    expect(sh(repo, 'rev-parse', 'conductor/demo')).toBe(tip);
    expect(sh(worktreePath(repo, '_integration'), 'status', '--porcelain')).toBe('');
    const ref = /commits kept in (\S+)\)/.exec(outcome.reason!)![1]!;
    expect(sh(repo, 'log', '-1', '--format=%s', ref)).toBe('sneaky');
  });

  it('commits to or switches the user\'s branch: detected, undone, the commits kept', async () => {
    const { repo, attempt } = await setup();
    const main = sh(repo, 'rev-parse', 'main');
    const moved = await attempt(1, 'src/bucket.ts=export const x = 1;', [[...WGIT, '-C', repo, 'commit', '-q', '--allow-empty', '-m', 'on main']]);
    expect(moved.reason).toMatch(new RegExp(`^the worker moved the user's branch main; conductor put it back \\(commits kept in ${SALVAGE}\\)$`));
    expect(sh(repo, 'rev-parse', 'main')).toBe(main);
    expect(sh(repo, 'log', '-1', '--format=%s', /commits kept in (\S+)\)/.exec(moved.reason!)![1]!)).toBe('on main');
    const switched = await attempt(2, 'src/bucket.ts=export const x = 1;', [[...WGIT, '-C', repo, 'checkout', '-q', '-b', 'elsewhere']]);
    expect(switched.reason).toMatch(new RegExp(`^the worker switched the user's checkout from main to elsewhere; conductor switched it back; the worker created the branch elsewhere; conductor removed it \\(commits kept in ${SALVAGE}\\)$`));
    expect(sh(repo, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main');
    expect(sh(repo, 'branch', '--list', 'elsewhere')).toBe('');
  });

  it('does not blame a worker for conductor\'s own merges and commits made meanwhile', async () => {
    const { repo, worktrees } = await setup();
    const t1 = await worktrees.ensureTask('T01', 'conductor/demo');
    const t2 = await worktrees.ensureTask('T02', 'conductor/demo');
    writeFileSync(join(t2.path, 'b.ts'), 'b\n');
    await commitWork(t2.path, 'T02: b');
    const before = await snapshotGuarded(repo, t1.path, 'task/T01', 'conductor/demo');
    expect(await new MergeQueue(worktreePath(repo, '_integration')).merge('task/T02', 'merge T02')).toMatchObject({ ok: true, alreadyMerged: false });
    // T02 sent back for a rebase: its branch removed and made again from the new tip, with a longer reflog than before.
    await worktrees.removeTask('T02', 'conductor/demo');
    const again = await worktrees.ensureTask('T02', 'conductor/demo');
    writeFileSync(join(again.path, 'c.ts'), 'c\n');
    await commitWork(again.path, 'T02: c, a commit with a much longer subject than the first one had');
    // The repo map refreshed after that merge, caught between its temp file and the rename.
    mkdirSync(join(repo, 'docs'), { recursive: true });
    writeFileSync(join(repo, 'docs', 'repo-map.md.408025481'), '# Repo map\n');
    writeFileSync(join(repo, 'docs', 'repo-map.md'), '# Repo map\n');
    // `conductor report`, run from another terminal during the run, writes its Markdown (#15 item 8).
    mkdirSync(join(repo, 'docs', 'runs'), { recursive: true });
    writeFileSync(join(repo, 'docs', 'runs', 'run-1.md'), '# Run\n');
    expect(await findTampering(before, worktrees, 'T01')).toBeUndefined();
  });
});

describe('a worker that writes outside its worktree (row 25)', () => {
  it('is caught writing into the user\'s checkout through "..", an absolute path or a symlink', async () => {
    const { repo, attempt } = await setup();
    writeFileSync(join(repo, 'src', 'bucket.ts'), 'export const x = 0; // the user is editing this\n');
    const before = userState(repo);
    const userEdit = readFileSync(join(repo, 'src', 'bucket.ts'), 'utf8');
    // Each change is undone from the snapshot, and what the worker left is kept in a salvage ref first.
    const undone = (path: string) => new RegExp(`^the worker changed the user's checkout: ${path.replace(/[.]/g, '\\.')}; conductor put them back \\(commits kept in (refs/conductor/salvage/T01-user-files/\\S+)\\)$`);
    const out = relative(worktreePath(repo, 'T01'), repo); // up out of the worktree, which lies beside the checkout
    const up = await attempt(1, `${out}/src/evil.ts=pwned|${out}/.gitignore=pwned|src/bucket.ts=export const x = 1;`);
    expect(up.result).toBe('failed');
    expect(up.reason).toMatch(undone('.gitignore, src/evil.ts'));
    expect(existsSync(join(repo, 'src', 'evil.ts'))).toBe(false); // added: removed
    expect(readFileSync(join(repo, '.gitignore'), 'utf8')).toBe('worktrees/\n'); // tracked and unchanged by the user: HEAD's
    expect(sh(repo, 'show', `${undone('.gitignore, src/evil.ts').exec(up.reason!)![1]}:src/evil.ts`)).toBe('pwned');
    const abs = await attempt(2, `${join(repo, 'src', 'bucket.ts')}=overwritten|src/bucket.ts=export const x = 1;`);
    expect(abs.reason).toMatch(undone('src/bucket.ts'));
    expect(readFileSync(join(repo, 'src', 'bucket.ts'), 'utf8')).toBe(userEdit); // the user's own uncommitted edit, not HEAD's
    expect(sh(repo, 'show', `${undone('src/bucket.ts').exec(abs.reason!)![1]}:src/bucket.ts`)).toBe('overwritten');
    const link = await attempt(3, 'src/bucket.ts=export const x = 1;', [['ln', '-s', join(repo, 'src'), 'lib'], [node, '-e', "require('fs').writeFileSync('lib/x.ts', 'x')"]]);
    expect(link.reason).toMatch(undone('src/x.ts'));
    expect(existsSync(join(repo, 'src', 'x.ts'))).toBe(false);
    expect(userState(repo)).toEqual(before);
  });

  it('may not leave a symlink out of the worktree in its change', async () => {
    const { attempt } = await setup();
    const outcome = await attempt(1, 'src/bucket.ts=export const x = 1;', [['ln', '-s', '/etc/passwd', 'src/passwd'], ['ln', '-s', '../../../src', 'src/up'], ['ln', '-s', 'bucket.ts', 'src/fine.ts']]);
    expect(outcome).toMatchObject({ result: 'failed', reason: 'the change adds a symlink that leads out of the worktree: src/passwd -> /etc/passwd, src/up -> ../../../src' });
  });
});

describe('a worker that wrecks its worktree (row 38)', () => {
  it('keeps earlier commits through `git reset --hard` and `rm -rf`, and the user\'s checkout is untouched', async () => {
    const { repo, attempt } = await setup();
    const before = userState(repo);
    expect((await attempt(1, 'src/bucket.ts=export const x = 1;')).result).toBe('verified');
    const first = sh(repo, 'rev-parse', 'task/T01');

    const reset = await attempt(2, '', [['git', 'reset', '-q', '--hard', 'HEAD~1']]);
    expect(reset.reason).toMatch(new RegExp(`^the worker rewound its branch task/T01, dropping earlier commits \\(commits kept in ${SALVAGE}\\)$`));
    expect(sh(repo, 'rev-parse', /commits kept in (\S+)\)/.exec(reset.reason!)![1]!)).toBe(first);

    sh(repo, 'update-ref', 'refs/heads/task/T01', first); // the human (or a later attempt) picks the work up again
    const wiped = await attempt(3, '', [[node, '-e', "for (const f of require('fs').readdirSync('.')) require('fs').rmSync(f, { recursive: true, force: true })"]]);
    expect(wiped.reason).toBe(`the worker removed its worktree's git link (${join(worktreePath(repo, 'T01'), '.git')})`);
    expect(sh(repo, 'rev-parse', 'task/T01')).toBe(first);
    expect(userState(repo)).toEqual(before);

    // The next attempt does not run in the wrecked directory (git would fall through to the user's checkout there).
    const next = await attempt(4, 'src/bucket.ts=export const x = 2;');
    expect(next.result).toBe('verified');
    expect(sh(next.worktree, 'rev-parse', 'HEAD~1')).toBe(first);
    expect(existsSync(join(next.worktree, '.git'))).toBe(true);
    expect(readFileSync(join(repo, 'src', 'bucket.ts'), 'utf8')).toBe('export const x = 0;\n');
    expect(userState(repo)).toEqual(before);
  });
});
