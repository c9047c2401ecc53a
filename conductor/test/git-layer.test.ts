// The one git layer (issue #14, points 1 and 2; rows 2 and 14): every git call
// names itself when it fails, never passes a non-zero exit off as success,
// can be timed out and cancelled, runs nothing a worker planted in the
// repository's config or hooks, and asks git — never git's files — so a
// checkout that is a linked worktree, packed refs and submodules just work.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backlog, writeTask } from './helpers/backlogs.js';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { worktreePath } from './helpers/worktree-path.js';
import { git, GitCommandError } from '../src/git/git.js';
import { repoState } from '../src/git/repo-state.js';
import { WorktreeManager } from '../src/git/worktrees.js';
import { commitWork } from '../src/git/commit-work.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const sh = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'protocol.file.allow=always', ...args], { cwd, encoding: 'utf8', stdio: 'pipe' }).trim();

/** A program that appends a line to `marker` each time anything runs it. */
function plantedProgram(dir: string, marker: string): string {
  const path = join(dir, 'planted.sh');
  writeFileSync(path, `#!/bin/sh\necho "$0 $*" >> ${JSON.stringify(marker)}\n`);
  chmodSync(path, 0o755);
  return path;
}

const runs = (marker: string) => (existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').filter(Boolean).length : 0);

describe('git layer: failures', () => {
  it('names the git command and its exit code', async () => {
    const repo = gitdir({ 'a.txt': 'a\n' });
    const error = await git(repo).raw(['rev-parse', '--verify', 'no-such-branch']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitCommandError);
    expect((error as GitCommandError).message).toBe('git rev-parse --verify no-such-branch failed (exit 128): fatal: Needed a single revision');
    expect((error as GitCommandError).exitCode).toBe(128);
  });

  it('never treats a non-zero exit with nothing on stderr as success; run() gives the exit code instead', async () => {
    const repo = gitdir({ 'a.txt': 'a\n' });
    const first = sh(repo, 'rev-parse', 'HEAD');
    writeFileSync(join(repo, 'b.txt'), 'b\n');
    sh(repo, 'add', '-A');
    sh(repo, 'commit', '-qm', 'second');
    // `merge-base --is-ancestor` answers "no" with exit 1 and prints nothing at all.
    const error = await git(repo).raw(['merge-base', '--is-ancestor', 'HEAD', first]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitCommandError);
    expect((error as GitCommandError).message).toBe(`git merge-base --is-ancestor HEAD ${first} failed (exit 1): no message`);
    expect(await git(repo).run(['merge-base', '--is-ancestor', 'HEAD', first])).toEqual({ exitCode: 1, stdout: '', stderr: '' });
    expect((await git(repo).run(['merge-base', '--is-ancestor', first, 'HEAD'])).exitCode).toBe(0);
  });

  it('kills a git that prints nothing for longer than its timeout, and one whose signal aborts', async () => {
    const repo = gitdir({ 'a.txt': 'a\n' });
    const started = Date.now();
    // `cat-file --batch` waits on its input for ever: a stuck git.
    await expect(git(repo).raw(['cat-file', '--batch'], { timeoutMs: 300 })).rejects.toThrow('git cat-file --batch timed out: no output for 300 ms');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    await expect(git(repo).run(['cat-file', '--batch'], { signal: controller.signal, timeoutMs: 60_000 })).rejects.toThrow('git cat-file --batch was cancelled');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("runs with its own environment only: the caller's GIT_DIR and locale do not reach git", async () => {
    const repo = gitdir({ 'a.txt': 'a\n' });
    const saved = { GIT_DIR: process.env.GIT_DIR, LC_ALL: process.env.LC_ALL };
    process.env.GIT_DIR = join(repo, 'nowhere');
    process.env.LC_ALL = 'de_DE.UTF-8';
    try {
      expect((await git(repo).raw(['rev-parse', '--absolute-git-dir'])).trim()).toBe(join(repo, '.git'));
      expect((await git(repo).raw(['var', 'GIT_COMMITTER_IDENT'])).trim()).toMatch(/^conductor <conductor@localhost> \d+ [+-]\d{4}$/);
    } finally {
      for (const [name, value] of Object.entries(saved)) if (value === undefined) delete process.env[name]; else process.env[name] = value;
    }
  });
});

describe('git layer: what a worker plants in the shared repository (row 2)', () => {
  it('hooks, core.hooksPath, core.fsmonitor, an external diff and a textconv filter never run under conductor', async () => {
    const repo = gitdir({ 'a.js': 'const a = 1;\n', '.gitattributes': '*.js diff=planted\n' });
    const marker = join(testdir(), 'marker');
    const program = plantedProgram(testdir(), marker);
    const hooks = join(repo, '.git', 'hooks');
    const elsewhere = join(testdir(), 'hooks');
    mkdirSync(elsewhere);
    for (const hook of ['pre-commit', 'commit-msg', 'post-commit', 'post-checkout', 'reference-transaction', 'post-index-change']) {
      writeFileSync(join(hooks, hook), `#!/bin/sh\nexec ${program} ${hook}\n`, { mode: 0o755 });
      writeFileSync(join(elsewhere, hook), `#!/bin/sh\nexec ${program} ${hook}\n`, { mode: 0o755 });
    }
    sh(repo, 'config', 'core.fsmonitor', program);
    sh(repo, 'config', 'diff.external', program);
    sh(repo, 'config', 'diff.planted.textconv', program);
    const worktrees = new WorktreeManager(repo);
    const integration = await worktrees.ensureIntegration('demo', 'HEAD');
    sh(repo, 'config', 'core.hooksPath', elsewhere); // planted after the integration worktree exists, as a worker would
    const task = await worktrees.ensureTask('T01', 'conductor/demo');
    writeFileSync(join(task.path, 'a.js'), 'const a = 2;\n');
    const committed = await commitWork(task.path, 'T01: work');
    expect(committed.files).toEqual(['a.js']);
    const diff = await git(task.path).raw(['diff', '--text', `${task.head}..HEAD`]);
    expect(diff).toContain('-const a = 1;\n+const a = 2;');
    await git(integration.path).raw(['merge', '--no-ff', '--no-edit', '-m', 'Merge T01', 'task/T01']);
    await git(repo).raw(['status', '--porcelain']);
    await worktrees.removeTask('T01', 'conductor/demo');
    expect(runs(marker)).toBe(0);
    // The same repository does run them for a plain git: the plant is live, conductor just does not run it.
    sh(repo, 'status', '--porcelain');
    expect(runs(marker)).toBeGreaterThan(0);
  });

  it('a worker planting them during `conductor run --yes`: conductor runs none of them, and the boundary takes them out again', async () => {
    const marker = join(testdir(), 'marker');
    const program = plantedProgram(testdir(), marker);
    const plantedHooks = join(testdir(), 'planted-hooks');
    mkdirSync(plantedHooks);
    const plant = [
      ['sh', '-c', `common=$(git rev-parse --path-format=absolute --git-common-dir) && for h in pre-commit commit-msg post-commit post-checkout post-merge reference-transaction; do printf '#!/bin/sh\\nexec ${program} hook\\n' > "$common/hooks/$h"; chmod +x "$common/hooks/$h"; done`],
      ['sh', '-c', `cp "$(git rev-parse --path-format=absolute --git-common-dir)/hooks/pre-commit" ${plantedHooks}/pre-commit`],
      ['git', 'config', 'core.fsmonitor', program],
      ['git', 'config', 'core.hooksPath', plantedHooks],
    ];
    const env = { SCRIPT_EDIT: 'src/{task}.ts=export const done = true;', SCRIPT_RUN_T01_1: JSON.stringify(plant) };
    const config = `provider: scripted\ncheckpoints: [plan, backlog]\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify(env)}\n`;
    const request = '# Feature Request: Rate Limiter\n\n## User Story\nx\n## Problem Statement\nx\n## Requirements\n- x\n## Constraints\n- none\n## Success Criteria\n- [ ] x\n';
    const repo = gitdir({ 'conductor.config.yaml': config, 'feature-request.md': request, 'src/app.ts': 'export {};\n' });
    const result = await conductor(['run', 'feature-request.md', '--yes'], { cwd: repo, timeoutMs: 120_000 });
    expect(runs(marker)).toBe(0);
    // The plant happened (attempt 1 fails for it, and its hooks and config are put back); attempt 2 merges.
    expect(result.stderr).toContain('implement: T01 attempt 1 failed: the worker changed the shared repository (.git): config (changed), hooks/commit-msg (added)');
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(spawnSync('git', ['config', '--get', 'core.fsmonitor'], { cwd: repo, encoding: 'utf8' }).stdout).toBe(''); // put back: unset
  });
});

describe('git layer: asks git, never its files', () => {
  it('knows the git directories and HEAD of a linked worktree, a detached HEAD and packed refs', async () => {
    const repo = gitdir({ 'a.txt': 'a\n' });
    const wt = join(testdir(), 'linked');
    sh(repo, 'worktree', 'add', '-q', '-b', 'side', wt, 'main');
    writeFileSync(join(wt, 'b.txt'), 'b\n');
    sh(wt, 'add', '-A');
    sh(wt, 'commit', '-qm', 'work');
    sh(repo, 'pack-refs', '--all');
    expect(existsSync(join(repo, '.git', 'refs', 'heads', 'side'))).toBe(false);
    expect(await repoState(wt)).toEqual({ gitDir: join(repo, '.git', 'worktrees', 'linked'), commonDir: join(repo, '.git'), symref: 'refs/heads/side', head: sh(wt, 'rev-parse', 'HEAD') });
    expect(await repoState(repo)).toEqual({ gitDir: join(repo, '.git'), commonDir: join(repo, '.git'), symref: 'refs/heads/main', head: sh(repo, 'rev-parse', 'HEAD') });
    sh(wt, 'checkout', '-q', '--detach');
    expect((await repoState(wt)).symref).toBe('');
    // A worktree's `.git` link written relative still leads git to the same place.
    writeFileSync(join(wt, '.git'), `gitdir: ${relative(wt, join(repo, '.git', 'worktrees', 'linked'))}\n`);
    expect((await repoState(wt)).gitDir).toBe(join(repo, '.git', 'worktrees', 'linked'));
  });

  it('runs tasks in a repository with packed refs only and a submodule', async () => {
    const sub = gitdir({ 'lib.txt': 'library\n' });
    const config = `provider: scripted\nconcurrency: 2\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify({ SCRIPT_EDIT: 'src/{task}.ts=export const done = true;' })}\n`;
    const repo = gitdir({ 'conductor.config.yaml': config, 'tasks/BACKLOG.yaml': backlog(writeTask('T01', 'First'), writeTask('T02', 'Second', ['T01'])), 'src/app.ts': 'export {};\n', '.gitignore': 'worktrees/\n.conductor/\n' });
    sh(repo, 'submodule', 'add', '-q', sub, 'vendor/lib');
    sh(repo, 'commit', '-qm', 'add a submodule');
    sh(repo, 'pack-refs', '--all');
    const result = await conductor(['implement'], { cwd: repo });
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toBe('2 tasks: 2 done\nall merged into conductor/demo; merge it into your branch with: git merge conductor/demo');
    expect(sh(repo, 'ls-tree', '--name-only', 'conductor/demo', 'src/').split('\n').sort()).toEqual(['src/T01.ts', 'src/T02.ts', 'src/app.ts']);
    expect(sh(repo, 'ls-tree', 'conductor/demo', 'vendor/lib')).toMatch(/^160000 commit [0-9a-f]{40}\tvendor\/lib$/);
  });
});

describe("git layer: the user's checkout is itself a linked worktree (row 14)", () => {
  /** The user's repository, and their checkout of it: a linked worktree on `feature`, where conductor runs. */
  function linkedCheckout(env: Record<string, string>) {
    const config = `provider: scripted\nconcurrency: 1\nattempts: 2\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify({ SCRIPT_EDIT: 'src/{task}.ts=export const done = "attempt {attempt}";', ...env })}\n`;
    const main = gitdir({ 'conductor.config.yaml': config, 'tasks/BACKLOG.yaml': backlog(writeTask('T01', 'First'), writeTask('T02', 'Second')), 'src/app.ts': 'export {};\n', '.gitignore': 'worktrees/\n.conductor/\n' });
    const checkout = join(testdir(), 'checkout');
    sh(main, 'worktree', 'add', '-q', '-b', 'feature', checkout, 'main');
    return { main, checkout };
  }

  it('a worker that switches to its own branch and leaves a file: the file is saved, the task goes on, and clean works', async () => {
    const rogue = JSON.stringify([['git', 'checkout', '-q', '-b', 'rogue'], ['sh', '-c', 'echo keep me > left-behind.txt']]);
    const { checkout } = linkedCheckout({ SCRIPT_RUN_T01_1: rogue });
    const result = await conductor(['implement'], { cwd: checkout });
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toBe('2 tasks: 2 done\nall merged into conductor/demo; merge it into your branch with: git merge conductor/demo');
    const saved = sh(checkout, 'for-each-ref', '--format=%(refname)', 'refs/conductor/salvage/').split('\n').filter(Boolean);
    const withFile = saved.filter((ref) => sh(checkout, 'ls-tree', '--name-only', ref).split('\n').includes('left-behind.txt'));
    expect(withFile.length).toBeGreaterThan(0);
    expect(sh(checkout, 'show', `${withFile[0]}:left-behind.txt`)).toBe('keep me');
    expect(sh(checkout, 'branch', '--show-current')).toBe('feature');
    const clean = await conductor(['clean'], { cwd: checkout });
    expect(clean.exitCode, clean.stderr).toBe(0);
    expect(clean.stdout).toBe('0 finished tasks cleaned'); // the run removed its finished worktrees itself
  });

  it('conductor clean saves uncommitted work of a finished task and does not crash', async () => {
    const { checkout } = linkedCheckout({});
    writeFileSync(join(checkout, 'tasks', 'BACKLOG.yaml'), backlog(writeTask('T01', 'First').replace(' }\n', ', status: done }\n')));
    const manager = new WorktreeManager(checkout);
    await manager.ensureIntegration('demo', 'HEAD');
    const task = await manager.ensureTask('T01', 'conductor/demo');
    expect(task.path).toBe(worktreePath(checkout, 'T01'));
    writeFileSync(join(task.path, 'unmerged.txt'), 'unmerged work\n');
    const result = await conductor(['clean'], { cwd: checkout });
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    const ref = /refs\/conductor\/salvage\/T01\/\S+(?=\))/.exec(result.stdout)?.[0];
    expect(ref, result.stdout).toBeDefined();
    expect(sh(checkout, 'show', `${ref!}:unmerged.txt`)).toBe('unmerged work');
    expect(existsSync(task.path)).toBe(false);
  });
});
