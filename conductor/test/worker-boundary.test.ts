// Issue #14: workers as shell scripts doing what agents sometimes do, against
// real git in temp directories. Each case is a row of the table: what
// the worker did must not reach the user's repository, and the task's next
// attempt must not run on top of it.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { normalizeTask } from '../src/backlog/types.js';
import { normalizeConfig } from '../src/config/load-config.js';
import { WorktreeManager } from '../src/git/worktrees.js';
import type { PhaseContext } from '../src/phases/call-role.js';
import { reviewAttempt } from '../src/phases/review-attempt.js';
import { runTaskAttempt } from '../src/phases/task-attempt.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { worktreePath } from './helpers/worktree-path.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const node = process.execPath;
const sh = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();
const WGIT = ['git', '-c', 'user.name=worker', '-c', 'user.email=w@w'];

async function setup(files: Record<string, string> = {}) {
  const repo = gitdir({ 'src/bucket.js': 'export const x = 0;\n', '.gitignore': 'worktrees/\n', ...files });
  writeFileSync(join(repo, 'staged.txt'), 'the user staged this\n');
  sh(repo, 'add', 'staged.txt');
  const worktrees = new WorktreeManager(repo);
  await worktrees.ensureIntegration('demo', 'HEAD');
  const task = normalizeTask({ id: 'T01', title: 'Bucket', description: 'Set x to 1.', acceptance: ['x is 1'], scope: { files_hint: ['src/bucket.js'] } });
  const contextFor = (env: Record<string, string>): PhaseContext => {
    const config = normalizeConfig({ provider: 'scripted', providers: { scripted: { command: [node, SCRIPT], env } } });
    return { repoRoot: repo, conductorDir: join(repo, '.conductor'), config, defaultProvider: 'scripted', runId: 'test-run', report: () => undefined };
  };
  const attempt = (n: number, edit: string, run: string[][] = []) =>
    runTaskAttempt(contextFor({ SCRIPT_EDIT: edit, SCRIPT_RUN: JSON.stringify(run) }), { task, attempt: n, integrationBranch: 'conductor/demo', worktrees, gates: [], baselineFailures: new Set<string>() });
  return { repo, worktrees, task, attempt, contextFor };
}

const userMain = (repo: string) => ({ head: sh(repo, 'rev-parse', 'main'), staged: sh(repo, 'diff', '--cached', '--name-only') });

describe('a worker that rewrites its worktree\'s .git link (rows 1 and 10)', () => {
  it("pointing it at the user's repository: the attempt fails, the link is put back, the worktree is set aside, and the next attempt's commits land on its own branch, never on the user's main", async () => {
    const { repo, attempt } = await setup();
    const before = userMain(repo);
    const first = await attempt(1, 'src/bucket.js=export const x = 1;', [['sh', '-c', `printf 'gitdir: %s\\n' '${relative(worktreePath(repo, 'T01'), join(repo, '.git'))}' > .git`]]);
    expect(first.result).toBe('failed');
    expect(first.reason).toContain(`the worker rewrote its worktree's git link (${join(worktreePath(repo, 'T01'), '.git')}); conductor put it back`);
    expect(first.discard).toBe(true);
    expect(userMain(repo)).toEqual(before);
    // The next attempt's worker commits as aider does: it must land on its own branch, never on main.
    const second = await attempt(2, 'src/bucket.js=export const x = 2;', [[...WGIT, 'add', '-A'], [...WGIT, 'commit', '-q', '-m', 'worker commit']]);
    expect(second.result, second.reason).toBe('verified');
    expect(userMain(repo)).toEqual(before);
    expect(sh(repo, 'show', 'task/T01:src/bucket.js')).toBe('export const x = 2;');
  });

  it('filling it with garbage: the attempt fails, and the next attempt (and every later run) gets a working worktree', async () => {
    const { repo, attempt, worktrees } = await setup();
    const first = await attempt(1, 'src/bucket.js=export const x = 1;', [['sh', '-c', 'echo garbage > .git']]);
    expect(first.result).toBe('failed');
    expect(first.reason).toContain(`the worker rewrote its worktree's git link (${join(worktreePath(repo, 'T01'), '.git')})`);
    // A crash right after the session leaves the garbage behind: the next ensureTask must not fail on it.
    writeFileSync(join(worktreePath(repo, 'T01'), '.git'), 'garbage\n');
    const again = await worktrees.ensureTask('T01', 'conductor/demo');
    expect(again.reused).toBe(false);
    expect(sh(again.path, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('task/T01');
    const second = await attempt(2, 'src/bucket.js=export const x = 2;');
    expect(second.result, second.reason).toBe('verified');
  });
});

describe('a worker that commits its own work (row 6)', () => {
  it('is judged on its commits plus anything left uncommitted, not "no changes"', async () => {
    const { repo, attempt } = await setup();
    const outcome = await attempt(1, 'src/bucket.js=export const x = 1;|src/extra.js=export const y = 1;', [[...WGIT, 'add', 'src/bucket.js'], [...WGIT, 'commit', '-q', '-m', 'worker: bucket']]);
    expect(outcome.result, outcome.reason).toBe('verified');
    expect(outcome.files.sort()).toEqual(['src/bucket.js', 'src/extra.js']);
    expect(sh(repo, 'show', 'task/T01:src/bucket.js')).toBe('export const x = 1;');
    expect(sh(repo, 'show', 'task/T01:src/extra.js')).toBe('export const y = 1;');
  });
});

describe('the reviewer\'s diff is text, whatever the worker or the user configured (rows 7 and 8)', () => {
  async function reviewedDiff(files: Record<string, string>, run: string[][], userConfig?: string) {
    const home = testdir();
    if (userConfig) writeFileSync(join(home, '.gitconfig'), userConfig);
    const previousHome = process.env.HOME;
    process.env.HOME = home;
    try {
      const { attempt, task, contextFor } = await setup(files);
      const work = await attempt(1, 'src/bucket.js=export const x = 1;', run);
      expect(work.result, work.reason).toBe('verified');
      const log = join(testdir(), 'prompts.jsonl');
      const review = await reviewAttempt(contextFor({ SCRIPT_LOG: log, SCRIPT_VERDICT: 'approve' }), task, 1, work);
      expect(review.ok).toBe(true);
      const prompt = (JSON.parse(readFileSync(log, 'utf8').trim().split('\n')[0]!) as { prompt: string }).prompt;
      return prompt;
    } finally {
      process.env.HOME = previousHome;
    }
  }

  it('a .gitattributes that marks code as binary (-diff) does not hide the change', async () => {
    const prompt = await reviewedDiff({}, [['sh', '-c', "printf '*.js -diff\\n' > .gitattributes"]]);
    expect(prompt).toContain('-export const x = 0;\n+export const x = 1;');
    expect(prompt).not.toContain('Binary files');
  });

  it("the user's global diff.external (even /bin/false) is not used", async () => {
    const prompt = await reviewedDiff({}, [], '[diff]\n\texternal = /bin/false\n');
    expect(prompt).toContain('-export const x = 0;\n+export const x = 1;');
  });
});

describe('symlinks are resolved fully (rows 4 and 9)', () => {
  it('a chain of links that climbs out through ".." fails the attempt', async () => {
    const { attempt } = await setup();
    const outcome = await attempt(1, 'src/bucket.js=export const x = 1;', [['mkdir', '-p', 'x'], ['ln', '-s', '..', 'x/parent'], ['ln', '-s', 'x/parent/../..', 'sneaky']]);
    expect(outcome.result).toBe('failed');
    expect(outcome.reason).toBe('the change adds a symlink that leads out of the worktree: sneaky -> x/parent/../..');
    expect(outcome.discard).toBe(true);
  });

  it('a link that stays inside, even through another link, is fine', async () => {
    const { attempt } = await setup();
    const outcome = await attempt(1, 'src/bucket.js=export const x = 1;', [['mkdir', '-p', 'x'], ['ln', '-s', '..', 'x/parent'], ['ln', '-s', 'x/parent/src/bucket.js', 'alias.js']]);
    expect(outcome.result, outcome.reason).toBe('verified');
  });

  it('an absolute link in attempt 1 does not fail every later attempt: the next one starts clean at the integration tip', async () => {
    const { repo, roles } = (() => {
      const log = join(testdir(), 'prompts.jsonl');
      const env = { SCRIPT_LOG: log, SCRIPT_EDIT: 'src/{task}.js=export const done = true;', SCRIPT_RUN_T01_1: JSON.stringify([['ln', '-s', '/etc/passwd', 'src/passwd']]) };
      const config = `provider: scripted\nproviders:\n  scripted:\n    command: [${JSON.stringify(node)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify(env)}\n`;
      const backlog = 'version: 1\nfeature: demo\ntasks:\n  - { id: T01, title: First, description: Write src/T01.js., acceptance: [it exists], scope: { files_hint: [src/T01.js] } }\n';
      return { repo: gitdir({ 'conductor.config.yaml': config, 'tasks/BACKLOG.yaml': backlog, '.gitignore': 'worktrees/\n.conductor/\n' }), roles: () => readFileSync(log, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { role: string }).role) };
    })();
    const result = execFileSync(node, [fileURLToPath(new URL('../bin/conductor.js', import.meta.url)), 'implement'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(result.split('\n')[0]).toBe('1 task: 1 done');
    expect(roles()).toEqual(['implementer', 'implementer', 'reviewer']);
    expect(sh(repo, 'ls-tree', '-r', '--name-only', 'conductor/demo')).toBe('.gitignore\nconductor.config.yaml\nsrc/T01.js\ntasks/BACKLOG.yaml');
  });
});
