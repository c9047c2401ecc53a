// Where task worktrees live (#16 point 3): never where the user's own tools,
// run at the root of their checkout, would find a task's files; configurable;
// worktrees of earlier runs under <repo>/worktrees/ still found and moved.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../src/config/load-config.js';
import { WorktreeManager } from '../src/git/worktrees.js';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { backlog, writeTask } from './helpers/backlogs.js';
import { canRun, requireProgram, type SystemProgram } from './helpers/system-programs.js';
import { worktreePath } from './helpers/worktree-path.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const bin = (pkg: string, path: string) => fileURLToPath(new URL(`../../node_modules/${pkg}/${path}`, import.meta.url));
const PYTEST: SystemProgram = { program: 'pytest', tests: 'the pytest part of the worktree-location test', install: 'pip install pytest' };
const sh = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();

/** A user's project with one test per tool, and a worker that adds a failing test, a type error and a lint error. */
function project() {
  const edit = ['test/T01.test.mjs=import t from "node:test"; t("worker", () => { throw new Error("the worker test ran"); });', 'src/T01.ts=export const broken: number = "text";', 'lint.js=const unused = 1;', 'test_worker.py=def test_worker(): assert False'].join('|');
  const config = `provider: scripted\nattempts: 1\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify({ SCRIPT_EDIT: edit })}\ngates:\n  - { name: no-worker-files, run: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify('process.exit(require("fs").existsSync("lint.js") ? 1 : 0)')}] }\n`;
  return gitdir({
    'conductor.config.yaml': config,
    'tasks/BACKLOG.yaml': backlog(writeTask('T01', 'First')),
    'test/user.test.mjs': 'import t from "node:test"; t("user", () => {});\n',
    'src/app.ts': 'export const app: number = 1;\n',
    'tsconfig.json': '{ "compilerOptions": { "strict": true, "noEmit": true, "skipLibCheck": true, "types": [] } }\n',
    'eslint.config.mjs': 'export default [{ rules: { "no-unused-vars": "error" } }];\n',
    'test_user.py': 'def test_user(): assert True\n',
    '.gitignore': '.conductor/\n',
  });
}

describe('where task worktrees live', () => {
  it("a blocked task keeps its worktree outside the checkout: node --test, eslint ., tsc -p . and pytest at the checkout's root see only the user's files", async () => {
    const repo = project();
    const result = await conductor(['implement'], { cwd: repo });
    const kept = worktreePath(repo, 'T01');
    expect(result.exitCode, result.stderr).toBe(1);
    expect(readFileSync(join(kept, 'lint.js'), 'utf8')).toBe('const unused = 1;\n'); // the worker's files are there, kept
    expect(JSON.parse(readFileSync(join(repo, 'tasks', 'T01.status.json'), 'utf8'))).toMatchObject({ status: 'blocked', worktree: relative(repo, kept) }); // relative to the repository (#18)
    expect(existsSync(join(repo, 'worktrees'))).toBe(false);

    const nodeTest = spawnSync(process.execPath, ['--test'], { cwd: repo, encoding: 'utf8' });
    expect([nodeTest.status, /^# tests (\d+)$/m.exec(nodeTest.stdout)?.[1], /^# pass (\d+)$/m.exec(nodeTest.stdout)?.[1]]).toEqual([0, '1', '1']);
    const eslint = spawnSync(process.execPath, [bin('eslint', 'bin/eslint.js'), '.'], { cwd: repo, encoding: 'utf8' });
    expect([eslint.status, eslint.stdout]).toEqual([0, '']);
    const tsc = spawnSync(process.execPath, [bin('typescript', 'bin/tsc'), '-p', '.', '--listFilesOnly'], { cwd: repo, encoding: 'utf8' });
    expect([tsc.status, tsc.stdout.split('\n').filter((f) => f.startsWith(repo))]).toEqual([0, [join(repo, 'src', 'app.ts')]]);
    if (canRun(PYTEST)) {
      requireProgram(PYTEST);
      const pytest = spawnSync('pytest', ['-q', '-p', 'no:cacheprovider'], { cwd: repo, encoding: 'utf8' });
      expect([pytest.status, /(\d+) passed/.exec(pytest.stdout)?.[1], pytest.stdout.includes('failed')]).toEqual([0, '1', false]);
    }
  }, 120_000);

  it('worktreeDir in conductor.config.yaml puts them where it says, relative to the repository', async () => {
    const elsewhere = join(testdir(), 'wt');
    const repo = gitdir({ 'a.txt': 'a\n', 'conductor.config.yaml': `worktreeDir: ${relative(join(tmpdir(), 'x'), elsewhere)}\n` });
    const { config, problems } = await readConfig({ repoRoot: repo });
    expect([problems, config.worktreeDir]).toEqual([[], join('..', relative(tmpdir(), elsewhere))]);
    const task = await new WorktreeManager(repo, undefined, config.worktreeDir).ensureTask('T01', 'HEAD');
    expect(task.path).toBe(join(elsewhere, 'T01'));
    expect(readFileSync(join(task.path, 'a.txt'), 'utf8')).toBe('a\n');
  });

  it('a worktree an earlier run left in <repo>/worktrees/ moves to the new place when its task goes on, its work and branch as they were', async () => {
    const repo = gitdir({ 'a.txt': 'a\n', '.gitignore': 'worktrees/\n' });
    const legacy = join(repo, 'worktrees', 'T01'); // the old place, on purpose
    sh(repo, 'worktree', 'add', '-q', '--no-track', '-b', 'task/T01', legacy, 'HEAD');
    writeFileSync(join(legacy, 'a.txt'), 'uncommitted work\n');
    sh(legacy, 'commit', '-q', '-am', 'earlier work');
    const tip = sh(repo, 'rev-parse', 'task/T01');
    writeFileSync(join(legacy, 'b.txt'), 'untracked\n');
    const task = await new WorktreeManager(repo).ensureTask('T01', 'HEAD');
    expect(task).toMatchObject({ path: worktreePath(repo, 'T01'), branch: 'task/T01', reused: true, head: tip, movedAside: [] });
    expect(readFileSync(join(task.path, 'b.txt'), 'utf8')).toBe('untracked\n');
    expect(existsSync(legacy)).toBe(false);
    expect(sh(repo, 'worktree', 'list', '--porcelain')).not.toContain(legacy);
  });
});
