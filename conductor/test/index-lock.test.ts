// RELIABILITY row 4: a stale index.lock in a worktree conductor owns is
// removed only when no git process works there; otherwise conductor waits,
// then fails naming the process.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitWork } from '../src/git/commit-work.js';
import { MergeQueue } from '../src/git/merge-queue.js';
import { WorktreeManager } from '../src/git/worktrees.js';
import { gitdir } from './helpers/dirs.js';

const sh = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();

async function setup() {
  const repo = gitdir({ 'a.ts': 'a\n', '.gitignore': 'worktrees/\n' });
  const worktrees = new WorktreeManager(repo);
  const integration = await worktrees.ensureIntegration('f', 'HEAD');
  const task = await worktrees.ensureTask('T01', 'conductor/f');
  const lockOf = (wt: string) => sh(wt, 'rev-parse', '--path-format=absolute', '--git-path', 'index.lock');
  return { repo, integration, task, lockOf };
}

describe('a stale index.lock', () => {
  it('left by a killed git is removed before conductor commits or merges', async () => {
    const { integration, task, lockOf } = await setup();
    writeFileSync(lockOf(task.path), '');
    writeFileSync(join(task.path, 'b.ts'), 'b\n');
    expect((await commitWork(task.path, 'T01: b')).files).toEqual(['b.ts']);
    expect(existsSync(lockOf(task.path))).toBe(false);

    writeFileSync(lockOf(integration.path), '');
    expect(await new MergeQueue(integration.path).merge('task/T01', 'merge T01')).toMatchObject({ ok: true, alreadyMerged: false });
    expect(sh(integration.path, 'log', '-1', '--format=%s')).toBe('merge T01');
  });

  it('is left alone while a git process works in that worktree: conductor waits, then fails naming it', async () => {
    const { task, lockOf } = await setup();
    const lock = lockOf(task.path);
    writeFileSync(lock, '');
    const holder = spawn('git', ['cat-file', '--batch'], { cwd: task.path, stdio: ['pipe', 'ignore', 'ignore'] }); // waits on stdin
    await new Promise((resolve) => holder.once('spawn', resolve));
    writeFileSync(join(task.path, 'b.ts'), 'b\n');
    try {
      await expect(commitWork(task.path, 'T01: b', { waitMs: 300, pollMs: 50 })).rejects.toMatchObject({
        code: 'IO',
        message: `${lock} is held by a running git process (pid ${holder.pid}) working in ${task.path}`,
        hint: 'wait for that git command to finish (or stop it), then run conductor resume',
      });
      expect(existsSync(lock)).toBe(true);
    } finally {
      holder.stdin.end();
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    // Once it is gone (without cleaning up, as a killed git would), the lock is stale and conductor goes on.
    expect((await commitWork(task.path, 'T01: b', { waitMs: 300, pollMs: 50 })).files).toEqual(['b.ts']);
  });
});
