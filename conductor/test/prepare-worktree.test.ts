// Worktrees prepared before the gates (#16 points 1-2), with real npm, offline,
// on generated workspace packages: the gates judge the worktree's code, not
// the user's checkout; a task that adds a dependency passes; a failed setup is
// a setup error, not the worker's fault.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateBacklogText } from '../src/backlog/validate-backlog.js';
import { WorktreeManager } from '../src/git/worktrees.js';
import { prepareWorktree } from '../src/prepare/prepare-worktree.js';
import { removeSpares, settleSpares } from '../src/prepare/spare-trees.js';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { canRun, requireProgram, type SystemProgram } from './helpers/system-programs.js';
import { backlog } from './helpers/backlogs.js';
import { worktreePath } from './helpers/worktree-path.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const sh = (cwd: string, cmd: string, ...args: string[]) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: 'pipe' }).trim();
/** A setup command that fails in task T01's worktree only; elsewhere (the integration worktree) it installs. */
const FAIL_IN_T01 = 'if (require("path").basename(process.cwd()) === "T01") { console.log("no network"); process.exit(3) } else require("child_process").execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund"], { stdio: "inherit" })';
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

const task = (id: string, files: string[]) => `  - { id: ${id}, title: Task ${id}, description: Change packages., acceptance: [tests pass], scope: { files_hint: [${files.join(', ')}] } }\n`;

/**
 * The monorepo: packages a and b, b's tests import @mono/a; npm installed in the user's checkout (workspace
 * links only, no registry). `edits` are the scripted worker's, per task; `more` adds config lines.
 */
function monorepo(tasks: string[], edits: Record<string, string>, more = '') {
  const gate = `gates:\n  - { name: test, run: [${JSON.stringify(process.execPath)}, --test, packages/b/test/] }\n`;
  const config = `provider: scripted\nattempts: 1\nconcurrency: 1\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify(edits)}\n${gate}${more}`;
  const repo = gitdir({
    'conductor.config.yaml': config,
    'tasks/BACKLOG.yaml': backlog(...tasks),
    'package.json': json({ name: 'mono', private: true, workspaces: ['packages/*'] }),
    'packages/a/package.json': json({ name: '@mono/a', version: '1.0.0', main: 'index.js' }),
    'packages/a/index.js': 'exports.minutes = (n) => `${n} minute${n === 1 ? "" : "s"}`;\n',
    'packages/b/package.json': json({ name: '@mono/b', version: '1.0.0', dependencies: { '@mono/a': '1.0.0' } }),
    'packages/b/test/b.test.js': 'const test = require("node:test");\nconst assert = require("node:assert");\nconst { minutes } = require("@mono/a");\ntest("one minute", () => assert.strictEqual(minutes(1), "1 minute"));\n',
    '.gitignore': 'node_modules/\n.conductor/\n',
  });
  sh(repo, 'npm', 'install', '--offline', '--no-audit', '--no-fund');
  sh(repo, 'git', 'add', 'package-lock.json');
  sh(repo, 'git', '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'lockfile');
  return repo;
}

const statusOf = (repo: string, id: string) => JSON.parse(readFileSync(join(repo, 'tasks', `${id}.status.json`), 'utf8')) as { status: string; attempt: number; note?: string; verification?: { gates: { name: string; passed: boolean }[]; setup?: { ok: boolean; method: string; log?: string; detail?: string; resolution?: { name: string; path?: string; inside: boolean }[] } } };
const states = (repo: string) => validateBacklogText(readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8'), 'f').backlog!.tasks.map((t) => [t.id, t.status]);

describe('worktrees prepared before the gates, in an npm workspaces monorepo', () => {
  it("a worker that breaks packages/a fails b's tests and is not merged; a compatible change to packages/a merges", async () => {
    const repo = monorepo([task('T01', ['packages/a/index.js']), task('T02', ['packages/a/index.js'])], {
      SCRIPT_EDIT_T01: 'packages/a/index.js=exports.minutes = (n) => n + "m";',
      SCRIPT_EDIT_T02: 'packages/a/index.js=exports.minutes = (n) => `${n} minute${n === 1 ? "" : "s"}`; exports.hours = (n) => n * 60;',
    });
    const result = await conductor(['implement'], { cwd: repo, timeoutMs: 240_000 });
    expect(result.exitCode, result.stderr).toBe(1);
    expect(states(repo)).toEqual([['T01', 'blocked'], ['T02', 'done']]);
    const broken = statusOf(repo, 'T01');
    expect(broken.verification?.gates).toEqual([expect.objectContaining({ name: 'test', passed: false })]);
    const wt = relative(repo, worktreePath(repo, 'T01')); // the record names paths relative to the repository (#18)
    // The check: @mono/a and @mono/b resolve to the worktree's packages, through node_modules cloned from the user's.
    expect(broken.verification?.setup).toMatchObject({ ok: true, method: 'prepared', resolution: [{ name: '@mono/a', path: join(wt, 'packages', 'a', 'package.json'), inside: true }, { name: '@mono/b', path: join(wt, 'packages', 'b', 'package.json'), inside: true }] });
    // Cloned, or taken ready-made from the spare the integration worktree's preparation left (timing decides which).
    expect(readFileSync(join(repo, '.conductor', 'logs', 'T01', 'attempt-1', 'setup.log'), 'utf8')).toMatch(/^node_modules: cloned from \S+ \((reflink|hardlink)(, prepared ahead)?\)\n/);
    expect(existsSync(join(dirname(wt), '.prepared'))).toBe(false); // the run's spare clones are gone with it
    expect(sh(repo, 'git', 'show', 'conductor/demo:packages/a/index.js')).toContain('exports.hours');
    expect(sh(repo, 'git', 'log', '--format=%s', 'conductor/demo')).not.toContain('T01');
    // The user's checkout is untouched.
    expect(readFileSync(join(repo, 'packages', 'a', 'index.js'), 'utf8')).toContain('minute');
  }, 300_000);

  it('a task that adds a workspace package its tests import passes its gates: the changed manifests get a real install in the worktree', async () => {
    const repo = monorepo([task('T01', ['packages/c/package.json', 'packages/c/index.js', 'packages/b/test/c.test.js'])], {
      SCRIPT_EDIT_T01: ['packages/c/package.json={"name": "@mono/c", "version": "1.0.0", "main": "index.js"}', 'packages/c/index.js=exports.c = 3;', 'packages/b/test/c.test.js=require("node:test")("c", () => require("node:assert").strictEqual(require("@mono/c").c, 3));'].join('|'),
    });
    const result = await conductor(['implement'], { cwd: repo, timeoutMs: 240_000 });
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(states(repo)).toEqual([['T01', 'done']]);
    expect(statusOf(repo, 'T01').verification).toMatchObject({ gates: [{ name: 'test', passed: true }], setup: { ok: true, method: 'install', resolution: [{ name: '@mono/a', inside: true }, { name: '@mono/b', inside: true }, { name: '@mono/c', inside: true }] } });
  }, 300_000);

  it('a setup that fails is a setup error shown with its log: the task is blocked, no attempt is used, nothing is merged', async () => {
    const repo = monorepo([task('T01', ['packages/a/index.js'])], { SCRIPT_EDIT_T01: 'packages/a/index.js=exports.minutes = () => "x";' }, `setup:\n  command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(FAIL_IN_T01)}]\n`);
    const result = await conductor(['implement'], { cwd: repo, timeoutMs: 120_000 });
    expect(result.exitCode, result.stderr).toBe(1);
    const log = join(repo, '.conductor', 'logs', 'T01', 'attempt-1', 'setup.log');
    const status = statusOf(repo, 'T01');
    expect([status.status, status.attempt]).toEqual(['blocked', 0]);
    // The record names the log relative to the repository: the file may be committed (#18).
    expect(status.verification?.setup).toMatchObject({ ok: false, method: 'command', log: '.conductor/logs/T01/attempt-1/setup.log' });
    expect(status.note).toBe(`setup error (not the worker's fault; no attempt used): ${process.execPath} -e ${FAIL_IN_T01} failed with exit code 3; log: .conductor/logs/T01/attempt-1/setup.log`);
    expect((await conductor(['status'], { cwd: repo })).stdout).toContain("setup error (not the worker's fault");
    expect(readFileSync(log, 'utf8')).toContain('no network');
  }, 180_000);
});

const PYTHON: SystemProgram = { program: 'python3', tests: 'the Python editable-install preparation test', install: 'Debian/Ubuntu: apt-get install python3 python3-venv' };

describe('node_modules prepared ahead for the next worktree', () => {
  it('is cloned in the background after a worktree is prepared, taken whole by the next one (links into that worktree), and never half-made or stale', async () => {
    const repo = monorepo([task('T01', ['packages/a/index.js'])], {});
    const worktrees = new WorktreeManager(repo);
    const spares = join(worktrees.worktreesDir, '.prepared');
    const prepare = async (id: string) => {
      const wt = await worktrees.ensureTask(id, 'HEAD');
      const outcome = await prepareWorktree({ worktree: wt.path, userRoot: repo, check: true, gates: { logDir: join(testdir(), id), defaultTimeoutMinutes: 5 } });
      return { path: wt.path, outcome, log: readFileSync(outcome.log!, 'utf8') };
    };
    const first = await prepare('T01');
    expect(first.log).toMatch(/^node_modules: cloned from \S+ \((reflink|hardlink)\)\n/); // nothing ready yet
    await settleSpares();
    expect(readdirSync(spares)).toEqual([expect.stringMatching(/^[0-9a-f]{16}-l\.(reflink|hardlink)\.[0-9a-f]{8}$/)]);

    // Planted: a half-made spare of a process that is gone, and a whole one of another lockfile.
    const key = readdirSync(spares)[0]!.split('.')[0]!;
    mkdirSync(join(spares, `${key}.partial-999999`, 'node_modules', '@mono'), { recursive: true });
    mkdirSync(join(spares, '0123456789abcdef-l.hardlink.00000000', 'node_modules'), { recursive: true });
    const second = await prepare('T02');
    expect(second.outcome).toMatchObject({ ok: true, method: 'clone' });
    expect(second.log).toMatch(/^node_modules: cloned from \S+ \((reflink|hardlink), prepared ahead\)\n/);
    // Its workspace links lead into its own packages, its tree is its own, and the check proves it.
    expect(realpathSync(join(second.path, 'node_modules', '@mono', 'a'))).toBe(join(second.path, 'packages', 'a'));
    expect(lstatSync(join(second.path, 'node_modules')).ino).not.toBe(lstatSync(join(first.path, 'node_modules')).ino);
    expect(second.outcome.resolution.map((r) => [r.name, r.inside])).toEqual([['@mono/a', true], ['@mono/b', true]]);
    await settleSpares();
    // A new spare for the next one; the stale ones removed.
    expect(readdirSync(spares)).toEqual([expect.stringMatching(new RegExp(`^${key}\\.(reflink|hardlink)\\.[0-9a-f]{8}$`))]);

    await removeSpares(worktrees.worktreesDir);
    expect(existsSync(spares)).toBe(false);
  }, 120_000);

  it('is prepared once per worktree, and again when a worker deleted it (the marker lives in node_modules)', async () => {
    const repo = monorepo([task('T01', ['packages/a/index.js'])], {});
    const worktrees = new WorktreeManager(repo);
    const wt = await worktrees.ensureTask('T01', 'HEAD');
    const prepare = () => prepareWorktree({ worktree: wt.path, userRoot: repo, check: false, gates: { logDir: join(testdir(), 'logs'), defaultTimeoutMinutes: 5 } });
    expect(await prepare()).toMatchObject({ ok: true, method: 'clone' });
    expect(existsSync(join(wt.path, 'node_modules', '.conductor-prepared'))).toBe(true);
    expect(existsSync(join(repo, 'node_modules', '.conductor-prepared'))).toBe(false); // never written into the user's tree
    expect(await prepare()).toMatchObject({ ok: true, method: 'prepared' });
    rmSync(join(wt.path, 'node_modules'), { recursive: true, force: true });
    expect(await prepare()).toMatchObject({ ok: true, method: 'clone' });
    expect(realpathSync(join(wt.path, 'node_modules', '@mono', 'a'))).toBe(join(wt.path, 'packages', 'a'));
    await settleSpares();
    await removeSpares(worktrees.worktreesDir);
  }, 120_000);
});

describe('a Python project installed editable in the user\'s venv', () => {
  const python = canRun(PYTHON);
  it.runIf(python)("is judged on the worktree's code: a .pth pointing at the checkout's src/ does not make a broken change pass", async () => {
    requireProgram(PYTHON);
    const venv = join(testdir(), 'venv');
    sh(testdir(), 'python3', '-m', 'venv', '--without-pip', venv);
    const check = 'from durations import minutes\nassert minutes(1) == "1 minute", minutes(1)\n';
    const config = `provider: scripted\nattempts: 1\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify({ SCRIPT_EDIT: 'src/durations/__init__.py=def minutes(n):\n    return f"{n}m"\n' })}\ngates:\n  - { name: test, run: [${JSON.stringify(join(venv, 'bin', 'python'))}, tests/check.py] }\n`;
    const repo = gitdir({
      'conductor.config.yaml': config,
      'tasks/BACKLOG.yaml': backlog(task('T01', ['src/durations/__init__.py'])),
      'pyproject.toml': '[project]\nname = "durations"\nversion = "1.0.0"\n',
      'src/durations/__init__.py': 'def minutes(n):\n    return f"{n} minute" + ("" if n == 1 else "s")\n',
      'tests/check.py': check,
      '.gitignore': '.conductor/\n',
    });
    // What `pip install -e .` leaves in the venv: a .pth naming the checkout's src/.
    const siteDir = sh(repo, join(venv, 'bin', 'python'), '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])');
    writeFileSync(join(siteDir, '__editable__.durations.pth'), `${join(repo, 'src')}\n`);
    const result = await conductor(['implement'], { cwd: repo, timeoutMs: 120_000 });
    expect(result.exitCode, result.stderr).toBe(1);
    const status = statusOf(repo, 'T01');
    expect(status.status).toBe('blocked');
    expect(status.verification?.gates).toEqual([expect.objectContaining({ name: 'test', passed: false })]);
    expect(status.verification?.setup?.resolution).toEqual([{ name: 'durations', path: relative(repo, join(worktreePath(repo, 'T01'), 'src', 'durations', '__init__.py')), inside: true }]);
  }, 180_000);
});
