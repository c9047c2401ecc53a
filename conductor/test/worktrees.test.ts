import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorktreeManager } from '../src/git/worktrees.js';
import { CONTEXT_COPY } from '../src/git/commit-work.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { worktreePath } from './helpers/worktree-path.js';

const sh = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();

/** The user's checkout as they left it: branch, HEAD, status. */
const snapshot = (repo: string) => ({ branch: sh(repo, 'branch', '--show-current'), head: sh(repo, 'rev-parse', 'HEAD'), status: sh(repo, 'status', '--porcelain', '--untracked-files=all') });

function repo() {
  const dir = gitdir({ 'src/a.ts': 'export const a = 1;\n', '.gitignore': 'worktrees/\n' });
  writeFileSync(join(dir, 'notes.txt'), 'the user is editing this\n'); // uncommitted user work
  return dir;
}

describe('worktrees', () => {
  it('creates the integration worktree and task worktrees from it, without tracking, leaving the user checkout alone', async () => {
    const dir = repo();
    const before = snapshot(dir);
    const manager = new WorktreeManager(dir);
    const integration = await manager.ensureIntegration('rate-limiter', 'HEAD');
    expect(integration).toMatchObject({ path: worktreePath(dir, '_integration'), branch: 'conductor/rate-limiter', reused: false });
    const task = await manager.ensureTask('T01', 'conductor/rate-limiter');
    expect(task).toMatchObject({ path: worktreePath(dir, 'T01'), branch: 'task/T01', reused: false, head: integration.head });
    expect(readFileSync(join(task.path, 'src', 'a.ts'), 'utf8')).toBe('export const a = 1;\n');
    // --no-track: no upstream configured for the task branch (git config exits 1 when nothing matches).
    const upstream = spawnSync('git', ['config', '--get-regexp', '^branch\\.task/T01\\.'], { cwd: dir, encoding: 'utf8' });
    expect([upstream.status, upstream.stdout]).toEqual([1, '']);
    expect(snapshot(dir)).toEqual(before);
  });

  it('creates eight worktrees at once without a race', async () => {
    const dir = repo();
    const manager = new WorktreeManager(dir);
    const made = await Promise.all(Array.from({ length: 8 }, (_, i) => manager.ensureTask(`T${i}`, 'HEAD')));
    expect(made.map((m) => m.branch)).toEqual(Array.from({ length: 8 }, (_, i) => `task/T${i}`));
    expect((await manager.list()).filter((e) => e.branch?.startsWith('task/'))).toHaveLength(8);
  });

  it('says clearly that the integration branch was deleted outside conductor, instead of failing inside git', async () => {
    const dir = repo();
    const manager = new WorktreeManager(dir);
    await manager.ensureIntegration('rate-limiter', 'HEAD');
    sh(dir, 'update-ref', '-d', 'refs/heads/conductor/rate-limiter'); // its worktree stays registered on it
    const message = 'the branch conductor/rate-limiter that tasks start from has no commit: it was deleted outside conductor';
    await expect(manager.ensureIntegration('rate-limiter', 'HEAD')).rejects.toThrow(message);
    await expect(manager.ensureTask('T01', 'conductor/rate-limiter')).rejects.toThrow(message);
  });

  it('reuses a leftover branch that holds unmerged commits, never resetting it', async () => {
    const dir = repo();
    const manager = new WorktreeManager(dir);
    const first = await manager.ensureTask('T01', 'HEAD');
    writeFileSync(join(first.path, 'work.ts'), 'precious\n');
    sh(first.path, 'add', 'work.ts');
    sh(first.path, 'commit', '-q', '-m', 'agent work');
    const tip = sh(first.path, 'rev-parse', 'HEAD');
    sh(dir, 'worktree', 'remove', '--force', first.path); // a crash left the branch behind
    const again = await manager.ensureTask('T01', 'HEAD');
    expect(again).toMatchObject({ reused: true, head: tip });
    expect(readFileSync(join(again.path, 'work.ts'), 'utf8')).toBe('precious\n');
  });

  it('starts a leftover branch without work of its own over from the new tip', async () => {
    const dir = repo();
    const manager = new WorktreeManager(dir);
    const first = await manager.ensureTask('T01', 'HEAD');
    sh(dir, 'worktree', 'remove', '--force', first.path);
    writeFileSync(join(dir, 'src', 'b.ts'), 'b\n');
    const integration = await manager.ensureIntegration('f', 'HEAD');
    writeFileSync(join(integration.path, 'merged.ts'), 'merged\n');
    sh(integration.path, 'add', 'merged.ts');
    sh(integration.path, 'commit', '-q', '-m', 'a dependency merged');
    const again = await manager.ensureTask('T01', 'conductor/f');
    expect(again.reused).toBe(false);
    expect(existsSync(join(again.path, 'merged.ts'))).toBe(true);
  });

  it('prunes its own registered worktree whose directory is gone, and no one else\'s', async () => {
    const dir = repo();
    const elsewhere = join(testdir(), 'user-worktree');
    sh(dir, 'worktree', 'add', '-q', '-b', 'user-branch', elsewhere);
    rmSync(elsewhere, { recursive: true, force: true });
    const manager = new WorktreeManager(dir);
    const first = await manager.ensureTask('T01', 'HEAD');
    rmSync(first.path, { recursive: true, force: true });
    const again = await manager.ensureTask('T01', 'HEAD');
    expect(existsSync(join(again.path, 'src', 'a.ts'))).toBe(true);
    const list = sh(dir, 'worktree', 'list', '--porcelain');
    expect(list).toContain(elsewhere); // the user's own missing worktree is still registered
  });

  it('never uses a directory that is not a registered worktree: it is moved aside with its content', async () => {
    const dir = repo();
    mkdirSync(worktreePath(dir, 'T01'), { recursive: true });
    writeFileSync(join(worktreePath(dir, 'T01'), 'stray.txt'), 'left by someone\n');
    const manager = new WorktreeManager(dir);
    const made = await manager.ensureTask('T01', 'HEAD');
    expect(made.movedAside).toHaveLength(1);
    expect(readFileSync(join(made.movedAside[0]!, 'stray.txt'), 'utf8')).toBe('left by someone\n');
    expect(existsSync(join(made.path, 'stray.txt'))).toBe(false);
    expect(readdirSync(worktreePath(dir, '.orphaned'))).toHaveLength(1);
  });

  it('saves uncommitted and untracked work to a salvage ref before removing a worktree', async () => {
    const dir = repo();
    const manager = new WorktreeManager(dir);
    const made = await manager.ensureTask('T01', 'HEAD');
    writeFileSync(join(made.path, 'src', 'a.ts'), 'export const a = 2;\n');
    writeFileSync(join(made.path, 'new.ts'), 'untracked\n');
    const ref = await manager.removeTask('T01', 'HEAD');
    expect(ref).toMatch(/^refs\/conductor\/salvage\/T01\//);
    expect(existsSync(made.path)).toBe(false);
    expect(sh(dir, 'show', `${ref}:new.ts`)).toBe('untracked');
    expect(sh(dir, 'show', `${ref}:src/a.ts`)).toBe('export const a = 2;');
    expect(sh(dir, 'branch', '--list', 'task/T01')).toBe('');
  });

  it('saves unmerged commits before deleting the branch, and nothing when all is merged', async () => {
    const dir = repo();
    const manager = new WorktreeManager(dir);
    const made = await manager.ensureTask('T01', 'HEAD');
    writeFileSync(join(made.path, 'c.ts'), 'c\n');
    sh(made.path, 'add', 'c.ts');
    sh(made.path, 'commit', '-q', '-m', 'unmerged');
    const tip = sh(made.path, 'rev-parse', 'HEAD');
    const ref = await manager.removeTask('T01', 'HEAD');
    expect(sh(dir, 'rev-parse', ref!)).toBe(tip);
    const clean = await manager.ensureTask('T02', 'HEAD');
    expect(await manager.removeTask('T02', 'HEAD')).toBeUndefined();
    expect(existsSync(clean.path)).toBe(false);
  });

  it('saves nothing for a merged worktree that holds only the worker context copy', async () => {
    const dir = repo();
    const manager = new WorktreeManager(dir);
    const made = await manager.ensureTask('T01', 'HEAD');
    writeFileSync(join(made.path, CONTEXT_COPY), '# Task T01\n');
    expect(await manager.removeTask('T01', 'HEAD')).toBeUndefined();
    expect(existsSync(made.path)).toBe(false);
    expect(sh(dir, 'branch', '--list', 'task/T01')).toBe('');
    expect(sh(dir, 'for-each-ref', 'refs/conductor')).toBe('');
  });
});
