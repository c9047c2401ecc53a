// Reading git's files directly must give what git itself says, or nothing
// (and then conductor asks git): never a wrong commit.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commonDirOf, gitDirOf, headOnDisk, looseRef, readHead } from '../src/git/git-files.js';
import { gitdir } from './helpers/dirs.js';
import { worktreePath } from './helpers/worktree-path.js';

const sh = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();

describe('git files read directly', () => {
  it('agree with git in the main checkout and in a linked worktree', () => {
    const repo = gitdir({ 'a.txt': 'a\n' });
    const wt = worktreePath(repo, 'T01');
    sh(repo, 'worktree', 'add', '-q', '--no-track', '-b', 'task/T01', wt, 'main');
    writeFileSync(join(wt, 'b.txt'), 'b\n');
    sh(wt, 'add', '-A');
    sh(wt, 'commit', '-qm', 'work');
    for (const dir of [repo, wt]) {
      expect(gitDirOf(dir)).toBe(sh(dir, 'rev-parse', '--path-format=absolute', '--git-dir'));
      expect(commonDirOf(gitDirOf(dir)!)).toBe(sh(dir, 'rev-parse', '--path-format=absolute', '--git-common-dir'));
      expect(headOnDisk(dir)).toBe(sh(dir, 'rev-parse', 'HEAD'));
    }
    expect(readHead(wt)).toEqual({ symref: 'refs/heads/task/T01', commit: sh(wt, 'rev-parse', 'HEAD') });
    expect(readHead(repo)).toEqual({ symref: sh(repo, 'symbolic-ref', 'HEAD'), commit: sh(repo, 'rev-parse', 'HEAD') });
    expect(headOnDisk(wt)).not.toBe(headOnDisk(repo));
  });

  it('read a detached HEAD, and say nothing for a packed ref or a directory that is not a checkout', () => {
    const repo = gitdir({ 'a.txt': 'a\n' });
    const head = sh(repo, 'rev-parse', 'HEAD');
    sh(repo, 'branch', 'side');
    sh(repo, 'pack-refs', '--all');
    expect(looseRef(commonDirOf(gitDirOf(repo)!), 'refs/heads/side')).toBeUndefined();
    expect(readHead(repo)).toEqual({ symref: 'refs/heads/main', commit: undefined }); // main is packed now: git has to be asked
    sh(repo, 'checkout', '-q', '--detach');
    expect(readHead(repo)).toEqual({ symref: '', commit: head });
    expect(headOnDisk(repo)).toBe(head);
    expect(gitDirOf(join(repo, 'nowhere'))).toBeUndefined();
    expect(readHead(join(repo, 'nowhere'))).toBeUndefined();
  });

  it('resolve a relative gitdir link from the worktree', () => {
    const repo = gitdir({ 'a.txt': 'a\n' });
    const wt = worktreePath(repo, 'T02');
    sh(repo, 'worktree', 'add', '-q', '--no-track', '-b', 'task/T02', wt, 'main');
    const absolute = gitDirOf(wt);
    writeFileSync(join(wt, '.git'), `gitdir: ${relative(wt, join(repo, '.git', 'worktrees', 'T02'))}\n`);
    expect(gitDirOf(wt)).toBe(absolute);
    expect(headOnDisk(wt)).toBe(sh(repo, 'rev-parse', 'main'));
  });
});
