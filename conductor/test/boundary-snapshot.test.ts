// Issue #14 point 3 and its rows 2, 3, 11, 12, 13: what a worker may not touch
// outside its worktree — the shared repository's config and hooks, every other
// ref, the user's git-ignored files, conductor's records, a submodule — is
// snapshotted before its session, compared after, and put back; the attempt
// fails and the next one starts clean at the integration tip. Real runs of the
// built CLI, workers as the scripted agent running shell commands.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const sh = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'protocol.file.allow=always', ...args], { cwd, encoding: 'utf8' }).trim();
const task = (id: string) => `  - { id: ${id}, title: Task ${id}, description: Write src/${id}.js., acceptance: [it exists], scope: { files_hint: [src/${id}.js] } }\n`;

/** A repository with a backlog of `ids`, the scripted agent as every role, `env` for it; `extra` files committed too. */
function project(ids: string[], env: Record<string, string>, options: { config?: string; files?: Record<string, string> } = {}) {
  const log = join(testdir(), 'prompts.jsonl');
  const agentEnv = { SCRIPT_LOG: log, SCRIPT_EDIT: 'src/{task}.js=export const done = true;', ...env };
  const config = `provider: scripted\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify(agentEnv)}\n${options.config ?? ''}`;
  const backlog = `version: 1\nfeature: demo\ntasks:\n${ids.map(task).join('')}`;
  const repo = gitdir({ 'conductor.config.yaml': config, ...(ids.length ? { 'tasks/BACKLOG.yaml': backlog } : {}), '.gitignore': 'worktrees/\n.conductor/\n.env\nnode_modules/\n', ...options.files });
  const roles = () => readFileSync(log, 'utf8').trim().split('\n').map((l) => `${(JSON.parse(l) as { role: string }).role}`);
  const notes = (id: string) => readFileSync(join(repo, 'tasks', `${id}.notes.md`), 'utf8');
  return { repo, roles, notes };
}

const run = (commands: string[][]) => JSON.stringify(commands);
/** The user's checkout, as a worker's shell finds it from its worktree (which lies beside the checkout, not in it). */
const CHECKOUT = '"$(git rev-parse --path-format=absolute --git-common-dir)/.."';
const tree = (repo: string, ref: string) => sh(repo, 'ls-tree', '-r', '--name-only', ref).split('\n');

describe("the shared repository's hooks and config (row 2, the user's side)", () => {
  it("a planted pre-commit hook, core.hooksPath and core.fsmonitor are taken out again: the user's next commit runs none of them", async () => {
    const mark = join(testdir(), 'pwned');
    const hook = `#!/bin/sh\ntouch ${mark}\n`;
    const plant = `d=$(git rev-parse --git-common-dir); printf '${hook.replace(/\n/g, '\\n')}' > "$d/hooks/pre-commit"; chmod +x "$d/hooks/pre-commit"; git config core.hooksPath "$d/hooks"; git config core.fsmonitor "touch ${mark}"`;
    const { repo, roles, notes } = project(['T01'], { SCRIPT_RUN_T01_1: run([['sh', '-c', plant]]) });
    const result = await conductor(['implement'], { cwd: repo });
    expect(result.stdout.split('\n')[0], result.stderr).toBe('1 task: 1 done');
    expect(roles()).toEqual(['implementer', 'implementer', 'reviewer']);
    expect(notes('T01')).toContain("## Attempt 1: failed — the worker changed the shared repository (.git): config (changed), hooks/pre-commit (added); conductor put it back");
    expect(existsSync(join(repo, '.git', 'hooks', 'pre-commit'))).toBe(false);
    expect(() => sh(repo, 'config', 'core.hooksPath')).toThrow();
    expect(() => sh(repo, 'config', 'core.fsmonitor')).toThrow();
    // The user's own git, with no isolation of conductor's: nothing planted runs.
    writeFileSync(join(repo, 'mine.txt'), 'mine\n');
    execFileSync('git', ['add', 'mine.txt'], { cwd: repo });
    execFileSync('git', ['-c', 'user.name=u', '-c', 'user.email=u@u', 'commit', '-q', '-m', 'mine'], { cwd: repo });
    execFileSync('git', ['status'], { cwd: repo });
    expect(existsSync(mark)).toBe(false);
  });
});

describe("the user's git-ignored files (row 3)", () => {
  it('an overwritten .env is detected and put back, and its contents never reach the notes', async () => {
    const { repo, notes } = project(['T01'], { SCRIPT_RUN_T01_1: run([['sh', '-c', `echo LEAKED_BY_WORKER=1 > ${CHECKOUT}/.env`]]) });
    writeFileSync(join(repo, '.env'), 'API_KEY=hunter2-secret\n');
    const result = await conductor(['implement'], { cwd: repo });
    expect(result.stdout.split('\n')[0], result.stderr).toBe('1 task: 1 done');
    expect(notes('T01')).toContain("## Attempt 1: failed — the worker changed the user's ignored files: .env (changed); conductor put it back");
    expect(readFileSync(join(repo, '.env'), 'utf8')).toBe('API_KEY=hunter2-secret\n');
    const everything = execFileSync('sh', ['-c', 'grep -rl -e hunter2 -e LEAKED_BY_WORKER tasks .conductor || true'], { cwd: repo, encoding: 'utf8' }).trim();
    // Only the worker's own session transcript names what it ran; conductor's notes and records never hold either value.
    expect(everything.split('\n').filter((f) => f && !f.startsWith('.conductor/sessions/'))).toEqual([]);
  });
});

describe("conductor's own records (point 3)", () => {
  it('a worker that deletes a file of .conductor/ and drops a file into tasks/ is undone, and the next attempt does not build on its work', async () => {
    const { repo, notes } = project(['T01'], {
      SCRIPT_EDIT_T01_1: 'src/leftover.js=from the rejected attempt',
      SCRIPT_RUN_T01_1: run([['sh', '-c', `rm ${CHECKOUT}/.conductor/.gitignore; echo x > ${CHECKOUT}/tasks/extra.md`]]),
    });
    const result = await conductor(['implement'], { cwd: repo });
    expect(result.stdout.split('\n')[0], result.stderr).toBe('1 task: 1 done');
    expect(notes('T01')).toContain("## Attempt 1: failed — the worker changed conductor's records (tasks): extra.md (added); conductor put it back; the worker changed conductor's records (.conductor): .gitignore (removed); conductor put it back");
    expect(existsSync(join(repo, 'tasks', 'extra.md'))).toBe(false);
    expect(readFileSync(join(repo, '.conductor', '.gitignore'), 'utf8')).toContain('*');
    // Attempt 2 started clean at the integration tip: attempt 1's file is nowhere in the result.
    expect(tree(repo, 'conductor/demo')).toEqual(['.gitignore', 'conductor.config.yaml', 'src/T01.js', 'tasks/BACKLOG.yaml']);
  });
});

describe("another task's branch (row 11)", () => {
  it('deleted by a worker: put back, and the run (and the next) goes on', async () => {
    // T01 makes no change (blocked, its worktree and branch kept); T02's first worker deletes task/T01.
    const { repo, notes } = project(['T01', 'T02'], { SCRIPT_EDIT_T01: '', SCRIPT_RUN_T02_1: run([['git', 'update-ref', '-d', 'refs/heads/task/T01']]) }, { config: 'concurrency: 1\nattempts: 2\n' });
    const t01 = () => sh(repo, 'rev-parse', '--verify', 'task/T01');
    const first = await conductor(['implement'], { cwd: repo });
    expect(first.stdout.split('\n')[0], first.stderr).toBe('2 tasks: 1 blocked, 1 done');
    expect(notes('T02')).toContain('## Attempt 1: failed — the worker deleted the branch task/T01; conductor put it back');
    expect(t01()).toBe(sh(repo, 'rev-parse', 'main'));
    // The next run takes T01 up again instead of stopping at its missing branch.
    writeFileSync(join(repo, 'conductor.config.yaml'), readFileSync(join(repo, 'conductor.config.yaml'), 'utf8').replace('attempts: 2', 'attempts: 3'));
    const again = await conductor(['implement'], { cwd: repo });
    expect(again.stderr).not.toContain('deleted outside conductor');
    expect(again.stdout.split('\n')[0], again.stderr).toBe('2 tasks: 1 blocked, 1 done');
  });
});

describe('a submodule path (row 12, point 5)', () => {
  it('an edit inside it fails the attempt, and the next attempt starts clean at the integration tip', async () => {
    const lib = gitdir({ 'lib.js': 'export const lib = 1;\n' });
    const { repo, roles, notes } = project(['T01'], { SCRIPT_EDIT_T01_1: 'src/leftover.js=from the rejected attempt|vendor/lib/patched.js=edited' });
    sh(repo, 'submodule', '-q', 'add', lib, 'vendor/lib');
    sh(repo, 'commit', '-q', '-m', 'add a submodule');
    const result = await conductor(['implement'], { cwd: repo });
    expect(result.stdout.split('\n')[0], result.stderr).toBe('1 task: 1 done');
    expect(roles()).toEqual(['implementer', 'implementer', 'reviewer']);
    expect(notes('T01')).toContain("## Attempt 1: failed — the worker edited inside a submodule (vendor/lib): conductor commits the task's worktree, not its submodules");
    expect(tree(repo, 'conductor/demo')).toEqual(['.gitignore', '.gitmodules', 'conductor.config.yaml', 'src/T01.js', 'tasks/BACKLOG.yaml', 'vendor/lib']);
  });
});

describe('the integration branch of a factory build (row 13)', () => {
  it("a worker's commit on factory/<tag> is undone in its worktree _factory-<tag> too: the build holds none of it", async () => {
    const sneak = 'cd ../_factory-demo-v1 && echo stolen > evil.js && git add evil.js && git -c user.name=w -c user.email=w@w commit -q -m sneaky';
    const { repo } = project([], { SCRIPT_RUN_T01_1: run([['sh', '-c', sneak]]) }, { files: { 'specs/demo/BACKLOG.yaml': `version: 1\nfeature: demo\ntasks:\n${task('T01')}` } });
    const result = await conductor(['factory', 'demo', '--onto', 'HEAD'], { cwd: repo, timeoutMs: 90_000 });
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(readFileSync(join(repo, '.conductor', 'factory', 'demo-v1', 'T01.notes.md'), 'utf8')).toMatch(/## Attempt 1: failed — the worker moved the integration branch factory\/demo-v1; conductor put it back/);
    expect(tree(repo, 'factory/demo-v1')).not.toContain('evil.js');
    expect(tree(repo, 'factory/demo-v1')).toContain('src/T01.js');
  });
});

describe('cost of the snapshot (point 3)', () => {
  it('a checkout with a 20,000-file ignored node_modules is snapshotted and compared, and a change in it is reported', async () => {
    const { repo, notes } = project(['T01'], { SCRIPT_RUN_T01_1: run([['sh', '-c', `echo changed > ${CHECKOUT}/node_modules/p0/f0.js`]]) });
    for (let p = 0; p < 200; p += 1) {
      mkdirSync(join(repo, 'node_modules', `p${p}`), { recursive: true });
      for (let f = 0; f < 100; f += 1) writeFileSync(join(repo, 'node_modules', `p${p}`, `f${f}.js`), `// ${p}/${f}\n`);
    }
    const result = await conductor(['implement'], { cwd: repo, timeoutMs: 120_000 });
    expect(result.stdout.split('\n')[0], result.stderr).toBe('1 task: 1 done');
    expect(notes('T01')).toContain("## Attempt 1: failed — the worker changed the user's ignored files: node_modules/ (changed, not undone)");
  }, 150_000);
});
