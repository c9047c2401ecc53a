// Temp directories for tests, removed after each test: plain ones and real git repositories.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { onTestFinished } from 'vitest';
import { worktreesDir } from './worktree-path.js';

export function testdir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'conductor-test-'));
  // A repository made here keeps its worktrees beside it (worktree-location.ts): they go too.
  onTestFinished(() => [dir, worktreesDir(dir)].forEach((path) => rmSync(path, { recursive: true, force: true })));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** A real git repository with the given files committed. */
export function gitdir(files: Record<string, string> = {}): string {
  const dir = testdir(files);
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', 'initial');
  return dir;
}
