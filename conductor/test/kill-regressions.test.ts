// Crash points the random-kill suite found, each pinned down deterministically:
// the state a SIGKILL at that point leaves, then what resume must make of it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CONTEXT_COPY } from '../src/git/commit-work.js';
import { WorktreeManager } from '../src/git/worktrees.js';
import { conductor } from './helpers/cli.js';
import { gitdir } from './helpers/dirs.js';
import { makeProject } from './helpers/random-kill.js';
import { worktreePath } from './helpers/worktree-path.js';

const sh = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();

describe('killed between a merge and the removal of its worktree', () => {
  it('resume removes the worktree and branch a done task left behind, saving nothing that is merged', async () => {
    const project = makeProject();
    onTestFinished(() => rmSync(project.root, { recursive: true, force: true }));
    const { repo } = project;
    const first = await conductor(['implement'], { cwd: repo });
    expect(first.exitCode, first.stderr).toBe(0);
    // The state a SIGKILL right after T01 was recorded done leaves: its worktree and branch at the merged tip.
    const merged = sh(repo, 'log', '--format=%P', '--grep=^Merge T01:', 'conductor/demo').split(' ')[1]!;
    sh(repo, 'worktree', 'add', '-q', '--no-track', '-b', 'task/T01', worktreePath(repo, 'T01'), merged);
    writeFileSync(join(worktreePath(repo, 'T01'), CONTEXT_COPY), '# Task T01\n');
    const again = await conductor(['implement'], { cwd: repo });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toBe('5 tasks: 5 done\nall merged into conductor/demo; merge it into your branch with: git merge conductor/demo');
    expect(existsSync(worktreePath(repo, 'T01'))).toBe(false);
    expect(sh(repo, 'branch', '--list', 'task/*')).toBe('');
    expect(sh(repo, 'for-each-ref', 'refs/conductor/salvage/')).toBe('');
  });

  it('a done task whose leftover branch holds unmerged commits has them saved before the branch goes', async () => {
    const project = makeProject();
    onTestFinished(() => rmSync(project.root, { recursive: true, force: true }));
    const { repo } = project;
    expect((await conductor(['implement'], { cwd: repo })).exitCode).toBe(0);
    const wt = worktreePath(repo, 'T02');
    sh(repo, 'worktree', 'add', '-q', '--no-track', '-b', 'task/T02', wt, 'conductor/demo');
    writeFileSync(join(wt, 'extra.ts'), 'export const extra = 1;\n');
    sh(wt, 'add', 'extra.ts');
    sh(wt, 'commit', '-q', '-m', 'more work');
    const tip = sh(wt, 'rev-parse', 'HEAD');
    expect((await conductor(['implement'], { cwd: repo })).exitCode).toBe(0);
    expect(existsSync(wt)).toBe(false);
    expect(sh(repo, 'for-each-ref', '--format=%(objectname)', 'refs/conductor/salvage/T02/')).toBe(tip);
  });
});

describe('salvage before removing a worktree', () => {
  it('does not count conductor\'s own context copy as work: a merged worktree holding only it saves nothing', async () => {
    const dir = gitdir({ 'src/a.ts': 'export const a = 1;\n' });
    const manager = new WorktreeManager(dir);
    const made = await manager.ensureTask('T01', 'HEAD');
    writeFileSync(join(made.path, CONTEXT_COPY), '# Task T01\n');
    expect(await manager.removeTask('T01', 'HEAD')).toBeUndefined();
    expect(existsSync(made.path)).toBe(false);
    expect(sh(dir, 'for-each-ref', 'refs/conductor/salvage/')).toBe('');
  });

  it('still saves real untracked work next to the context copy, without the copy', async () => {
    const dir = gitdir({ 'src/a.ts': 'export const a = 1;\n' });
    const manager = new WorktreeManager(dir);
    const made = await manager.ensureTask('T01', 'HEAD');
    writeFileSync(join(made.path, CONTEXT_COPY), '# Task T01\n');
    writeFileSync(join(made.path, 'new.ts'), 'untracked\n');
    const ref = await manager.removeTask('T01', 'HEAD');
    expect(sh(dir, 'ls-tree', '--name-only', '-r', ref!).split('\n')).toEqual(['new.ts', 'src/a.ts']);
  });
});

describe('killed while a task was in flight', () => {
  it('gives the cut-short attempt back: a task killed in its last attempt runs it again instead of being blocked', async () => {
    const project = makeProject();
    onTestFinished(() => rmSync(project.root, { recursive: true, force: true }));
    const { repo } = project;
    // The state after conductor was killed during T03's third attempt (two earlier kills each cut one short).
    const path = join(repo, 'tasks', 'BACKLOG.yaml');
    writeFileSync(path, readFileSync(path, 'utf8').replace('{ id: T03,', '{ id: T03, status: running, attempts: 3,'));
    const result = await conductor(['implement'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('5 tasks: 5 done\nall merged into conductor/demo; merge it into your branch with: git merge conductor/demo');
    const status = JSON.parse(readFileSync(join(repo, 'tasks', 'T03.status.json'), 'utf8')) as { status: string; attempt: number; history: { to: string; note?: string }[] };
    expect(status).toMatchObject({ status: 'done', attempt: 3 });
    expect(status.history.find((h) => h.to === 'interrupted')).toMatchObject({ note: 'conductor stopped while this task was in flight' });
  });
});
