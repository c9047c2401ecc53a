import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { factoryNaming, WorktreeManager } from '../src/git/worktrees.js';
import { conductor } from './helpers/cli.js';
import { gitdir } from './helpers/dirs.js';
import { worktreePath } from './helpers/worktree-path.js';

const BACKLOG = `version: 1
feature: demo
tasks:
  - { id: T01, title: a, description: x, acceptance: [a], scope: { files_hint: [a.ts] }, status: done }
  - { id: T02, title: b, description: x, acceptance: [a], scope: { files_hint: [b.ts] }, status: skipped }
  - { id: T03, title: c, description: x, acceptance: [a], scope: { files_hint: [c.ts] }, status: running }
`;

describe('conductor clean', () => {
  it('removes finished tasks\' worktrees and branches, saving unmerged work, and keeps the rest', async () => {
    const repo = gitdir({ 'tasks/BACKLOG.yaml': BACKLOG, 'a.ts': 'a\n' });
    const manager = new WorktreeManager(repo);
    await manager.ensureIntegration('demo', 'HEAD');
    for (const id of ['T01', 'T02', 'T03']) await manager.ensureTask(id, 'conductor/demo');
    writeFileSync(join(worktreePath(repo, 'T02'), 'b.ts'), 'unmerged work\n');
    const result = await conductor(['clean'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`removed the worktree ${worktreePath(repo, 'T01')} and task/T01`);
    expect(lines[1]).toMatch(new RegExp(`^removed the worktree ${worktreePath(repo, 'T02')} and task/T02 \\(unmerged work saved to refs/conductor/salvage/T02/\\S+\\)$`));
    expect(lines[2]).toBe('2 finished tasks cleaned; kept T03 (not finished)');
    expect(existsSync(worktreePath(repo, 'T01'))).toBe(false);
    expect(existsSync(worktreePath(repo, 'T03'))).toBe(true);
    expect(execFileSync('git', ['branch', '--list', 'task/*', '--format=%(refname:short)'], { cwd: repo, encoding: 'utf8' }).trim()).toBe('task/T03');
    const ref = lines[1]!.match(/refs\/conductor\/salvage\/T02\/\S+(?=\))/)![0];
    expect(execFileSync('git', ['show', `${ref}:b.ts`], { cwd: repo, encoding: 'utf8' })).toBe('unmerged work\n');
  });

  it('cleans a factory build that ended, with no live backlog, and leaves one that stopped for factory to resume', async () => {
    const repo = gitdir({ 'a.ts': 'a\n' });
    const build = (tag: string, state: string) => {
      mkdirSync(join(repo, '.conductor', 'factory', tag), { recursive: true });
      writeFileSync(join(repo, '.conductor', 'factory', tag, 'BACKLOG.yaml'), BACKLOG);
      writeFileSync(join(repo, '.conductor', 'factory', tag, 'run.json'), JSON.stringify({ runId: `run-${tag}`, spec: 'demo', version: 1, tag, state, startedAt: new Date().toISOString() }));
    };
    build('demo-v1', 'failed');
    build('demo-v1-2', 'running');
    for (const tag of ['demo-v1', 'demo-v1-2']) {
      const manager = new WorktreeManager(repo, factoryNaming(tag));
      await manager.ensureIntegration(tag, 'HEAD');
      for (const id of ['T01', 'T03']) await manager.ensureTask(id, `factory/${tag}`);
    }
    const result = await conductor(['clean'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      [
        `removed the worktree ${worktreePath(repo, 'factory-demo-v1-T01')} and factory/demo-v1-T01`,
        `removed the worktree ${worktreePath(repo, '_factory-demo-v1')} (the branch factory/demo-v1 stays)`,
        'factory build demo-v1: kept T03 (not finished)',
        'kept factory build demo-v1-2: it stopped before it finished, and conductor factory resumes it',
      ].join('\n'),
    );
    expect(existsSync(worktreePath(repo, '_factory-demo-v1'))).toBe(false);
    expect(existsSync(worktreePath(repo, '_factory-demo-v1-2'))).toBe(true);
    expect(execFileSync('git', ['branch', '--list', 'factory/*', '--format=%(refname:short)'], { cwd: repo, encoding: 'utf8' }).trim().split('\n')).toEqual(['factory/demo-v1', 'factory/demo-v1-2', 'factory/demo-v1-2-T01', 'factory/demo-v1-2-T03', 'factory/demo-v1-T03']);
  });

  it('cleans factory builds even when the live backlog is not valid, then says so (exit 2)', async () => {
    const repo = gitdir({ 'a.ts': 'a\n', 'tasks/BACKLOG.yaml': 'version: 1\nfeature: x\ntasks: [1]\n' });
    mkdirSync(join(repo, '.conductor', 'factory', 'demo-v1'), { recursive: true });
    writeFileSync(join(repo, '.conductor', 'factory', 'demo-v1', 'BACKLOG.yaml'), BACKLOG);
    writeFileSync(join(repo, '.conductor', 'factory', 'demo-v1', 'run.json'), JSON.stringify({ runId: 'r', spec: 'demo', version: 1, tag: 'demo-v1', state: 'finished', startedAt: new Date().toISOString() }));
    const manager = new WorktreeManager(repo, factoryNaming('demo-v1'));
    await manager.ensureIntegration('demo-v1', 'HEAD');
    await manager.ensureTask('T01', 'factory/demo-v1');
    const result = await conductor(['clean'], { cwd: repo });
    expect(result.exitCode).toBe(2);
    expect(result.stdout.split('\n')[0]).toBe(`removed the worktree ${worktreePath(repo, 'factory-demo-v1-T01')} and factory/demo-v1-T01`);
    expect(result.stderr).toContain('conductor: tasks/BACKLOG.yaml is not valid');
    expect(result.stderr).toContain('tasks/BACKLOG.yaml:3:9 error type: tasks[0] must be a mapping, got the integer 1');
    expect(result.stderr).toContain("hint: clean reads the live run's task states from it; fix it, then conductor clean again (factory builds were cleaned)");
    expect(existsSync(worktreePath(repo, '_factory-demo-v1'))).toBe(false);
  });

  it('also cleans a finished task\'s worktree that an earlier run left in <repo>/worktrees/, and keeps an unfinished one', async () => {
    const repo = gitdir({ 'tasks/BACKLOG.yaml': BACKLOG, 'a.ts': 'a\n', '.gitignore': 'worktrees/\n' });
    const legacy = (id: string) => join(repo, 'worktrees', id); // the old place, on purpose: worktreePath names the new one
    execFileSync('git', ['branch', 'conductor/demo'], { cwd: repo });
    for (const id of ['T01', 'T03']) execFileSync('git', ['worktree', 'add', '-q', '--no-track', '-b', `task/${id}`, legacy(id), 'conductor/demo'], { cwd: repo });
    const result = await conductor(['clean'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe(`removed the worktree ${legacy('T01')} and task/T01\n1 finished task cleaned; kept T03 (not finished)`);
    expect(existsSync(legacy('T01'))).toBe(false);
    expect(existsSync(legacy('T03'))).toBe(true);
    expect(execFileSync('git', ['worktree', 'list', '--porcelain'], { cwd: repo, encoding: 'utf8' })).not.toContain(legacy('T01'));
  });
});
