// The bubblewrap sandbox (`sandbox: bwrap`, RELIABILITY row 25): a worker can
// write its worktree and nothing of the user's; conductor refuses to start
// when the config asks for a sandbox that cannot run. These tests need bwrap
// (CI installs it): without it they do not run, the end of the test run says
// so with how to install it, and under CI=true they fail instead.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { normalizeTask } from '../src/backlog/types.js';
import { normalizeConfig } from '../src/config/load-config.js';
import { WorktreeManager } from '../src/git/worktrees.js';
import type { PhaseContext } from '../src/phases/call-role.js';
import { runTaskAttempt } from '../src/phases/task-attempt.js';
import { buildAgentEnv } from '../src/process/agent-env.js';
import { pidsWithMarker } from '../src/process/kill-group.js';
import { runProcess } from '../src/process/run-process.js';
import { checkSandbox, sandboxArgv } from '../src/process/sandbox.js';
import { which } from '../src/util/which.js';
import { conductor, STACK_FRAME } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { alive } from './helpers/processes.js';
import { BWRAP, canRun, requireProgram } from './helpers/system-programs.js';
import { worktreePath } from './helpers/worktree-path.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const AGENT = fileURLToPath(new URL('./fixtures/fake-agent.mjs', import.meta.url));
const node = process.execPath;
const sh = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();

/** The tests that run bubblewrap: here when it is installed (always under CI=true). */
const withBwrap = canRun(BWRAP);
/** The user's checkout as T01's worktree reaches it by a relative path (the worktree lies beside it). */
const checkoutFrom = (repo: string) => relative(worktreePath(repo, 'T01'), repo);
const requireBwrap = () => requireProgram(BWRAP);

/** One attempt at a one-file task whose scripted worker makes `edit`, then runs `steps`; `attempt` settles when it ends. */
async function startAttempt(edit: string | ((repo: string) => string), steps: (repo: string) => string[][], sandbox: 'bwrap' | 'none' = 'bwrap') {
  const repo = gitdir({ 'src/bucket.ts': 'export const x = 0;\n', '.gitignore': 'worktrees/\n' });
  const worktrees = new WorktreeManager(repo);
  await worktrees.ensureIntegration('demo', 'HEAD');
  const task = normalizeTask({ id: 'T01', title: 'Bucket', description: 'Set x to 1.', acceptance: ['x is 1'], scope: { files_hint: ['src/bucket.ts'] } });
  const config = normalizeConfig({ sandbox, provider: 'scripted', providers: { scripted: { command: [node, SCRIPT], env: { SCRIPT_EDIT: typeof edit === 'string' ? edit : edit(repo), SCRIPT_RUN: JSON.stringify(steps(repo)) } } } });
  const ctx: PhaseContext = { repoRoot: repo, conductorDir: join(repo, '.conductor'), config, defaultProvider: 'scripted', runId: 'test-run', report: () => undefined };
  return { repo, attempt: runTaskAttempt(ctx, { task, attempt: 1, integrationBranch: 'conductor/demo', worktrees, gates: [], baselineFailures: new Set<string>() }) };
}

async function attemptUnderSandbox(edit: string | ((repo: string) => string), steps: (repo: string) => string[][]) {
  const { repo, attempt } = await startAttempt(edit, steps);
  return { repo, outcome: await attempt };
}

/** A step for the scripted worker: try to write `path`, and record in `report` what happened. */
const tryWrite = (path: string, report: string) => [node, '-e', `const fs = require('fs'); let r; try { fs.writeFileSync(${JSON.stringify(path)}, 'x'); r = 'written'; } catch (e) { r = e.code; } fs.appendFileSync(${JSON.stringify(report)}, ${JSON.stringify(path)} + ' ' + r + '\\n');`];

describe('the bwrap sandbox', () => {
  it('builds a read-only root with the writable directories bound on top, in the agent\'s process group', () => {
    expect(sandboxArgv(['claude', '-p'], { kind: 'bwrap', writable: ['/w', '/h', '/w'], readable: ['/tmp/repo'] })).toEqual([
      'bwrap', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--ro-bind', '/tmp/repo', '/tmp/repo', '--bind', '/w', '/w', '--bind', '/h', '/h', '--die-with-parent', '--', 'claude', '-p',
    ]);
  });

  it('binds an agent program installed under /tmp (read-only) through the private /tmp', () => {
    const top = mkdtempSync('/tmp/conductor-agent-');
    try {
      mkdirSync(join(top, 'bin'));
      writeFileSync(join(top, 'bin', 'agent.mjs'), '');
      const argv = sandboxArgv([node, join(top, 'bin', 'agent.mjs'), '--flag', '/tmp'], { kind: 'bwrap', writable: [] });
      expect(argv.slice(0, 13)).toEqual(['bwrap', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--ro-bind', top, top]);
    } finally {
      rmSync(top, { recursive: true, force: true });
    }
  });

  it.runIf(withBwrap)('keeps an agent program installed under /tmp visible (read-only) through the private /tmp', () => {
    const top = mkdtempSync('/tmp/conductor-agent-');
    try {
      mkdirSync(join(top, 'bin'));
      writeFileSync(join(top, 'bin', 'agent.mjs'), '');
      const argv = sandboxArgv([node, join(top, 'bin', 'agent.mjs'), '--flag', '/tmp'], { kind: 'bwrap', writable: [] });
      requireBwrap();
      writeFileSync(join(top, 'bin', 'agent.mjs'), 'process.stdout.write("agent ran")');
      expect(execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' })).toBe('agent ran');
    } finally {
      rmSync(top, { recursive: true, force: true });
    }
  });

  it.runIf(withBwrap)('works on this machine', async () => {
    requireBwrap();
    expect(await checkSandbox()).toMatchObject({ available: true, works: true });
  });

  it.runIf(withBwrap)('lets a worker write its worktree, use git there and a private /tmp, and nothing of the user\'s', async () => {
    requireBwrap();
    const probe = `/tmp/conductor-sandbox-probe-${process.pid}`;
    const { repo, outcome } = await attemptUnderSandbox('src/bucket.ts=export const x = 1;', (repo) => [
      tryWrite(`${checkoutFrom(repo)}/src/evil.ts`, 'report.txt'),
      tryWrite(join(repo, 'src', 'abs.ts'), 'report.txt'),
      ['ln', '-s', join(repo, 'src'), 'link'],
      tryWrite('link/through.ts', 'report.txt'),
      tryWrite(probe, 'report.txt'),
      ['rm', 'link'],
      ['git', 'status', '--porcelain'],
    ]);
    expect(outcome.result).toBe('verified');
    expect(outcome.files.sort()).toEqual(['report.txt', 'src/bucket.ts']);
    expect(readFileSync(join(outcome.worktree, 'report.txt'), 'utf8')).toBe(`${checkoutFrom(repo)}/src/evil.ts EROFS\n${join(repo, 'src', 'abs.ts')} EROFS\nlink/through.ts EROFS\n${probe} written\n`);
    expect(existsSync(join(repo, 'src', 'evil.ts'))).toBe(false);
    expect(existsSync(join(repo, 'src', 'abs.ts'))).toBe(false);
    expect(existsSync(probe)).toBe(false); // its /tmp was its own
    expect(sh(repo, 'status', '--porcelain', '--', 'src')).toBe('');
  });

  it.runIf(withBwrap)('keeps a sandboxed agent under conductor\'s timeouts: a hung one is stopped with everything it started', async () => {
    requireBwrap();
    const dir = testdir();
    const session = `sandboxed-${process.pid}`;
    const pidFile = join(dir, 'pid');
    const common = { cwd: dir, env: buildAgentEnv({ parent: process.env, set: { CONDUCTOR_SESSION_ID: session } }), logPath: join(dir, 'call.log'), hardMs: 10_000, graceMs: 300, marker: { name: 'CONDUCTOR_SESSION_ID', value: session }, sandbox: { kind: 'bwrap' as const, writable: [dir] } };
    const hung = await runProcess({ ...common, argv: [node, AGENT, 'silent-forever'], inactivityMs: 500 });
    expect(hung.reason).toBe('inactivity');
    const forked = await runProcess({ ...common, argv: [node, AGENT, 'grandchild', pidFile], inactivityMs: 2000 });
    expect(forked).toMatchObject({ reason: 'exited', exitCode: 0 });
    expect(readFileSync(join(dir, 'call.log'), 'utf8')).toContain('$ bwrap --ro-bind / /');
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    for (let i = 0; i < 20 && alive(grandchild); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(grandchild)).toBe(false);
    expect(pidsWithMarker('CONDUCTOR_SESSION_ID', session).filter(alive)).toEqual([]);
  });

  it.runIf(withBwrap)('fails the attempt of a worker that insists on writing outside', async () => {
    requireBwrap();
    const { repo, outcome } = await attemptUnderSandbox((repo) => `src/bucket.ts=export const x = 1;|${checkoutFrom(repo)}/src/evil.ts=pwned`, () => []);
    expect(outcome.result).toBe('failed');
    expect(outcome.reason).toMatch(/^the agent failed: exit code 1/);
    expect(readFileSync(outcome.agent!.logPath, 'utf8')).toContain(`EROFS: read-only file system, open '${checkoutFrom(repo)}/src/evil.ts'`);
    expect(existsSync(join(repo, 'src', 'evil.ts'))).toBe(false);
  });
});

describe('a human editing their checkout while a worker runs', () => {
  /** One attempt whose worker edits its file, then takes a second; meanwhile the human saves notes.txt in their checkout. */
  async function humanEditsDuringAttempt(sandbox: 'bwrap' | 'none') {
    const { repo, attempt } = await startAttempt('src/bucket.ts=export const x = 1;', () => [[node, '-e', 'setTimeout(() => {}, 1500)']], sandbox);
    const edited = join(worktreePath(repo, 'T01'), 'src', 'bucket.ts');
    for (let i = 0; i < 200 && !(existsSync(edited) && readFileSync(edited, 'utf8').includes('x = 1')); i++) await new Promise((r) => setTimeout(r, 25));
    writeFileSync(join(repo, 'notes.txt'), 'the human, typing\n');
    return { repo, outcome: await attempt };
  }

  it.runIf(withBwrap)('does not fail the attempt under the sandbox, where the worker cannot write there', async () => {
    requireBwrap();
    const { outcome } = await humanEditsDuringAttempt('bwrap');
    expect([outcome.result, outcome.reason]).toEqual(['verified', undefined]);
    expect(outcome.files).toEqual(['src/bucket.ts']);
  });

  it('fails it without the sandbox, where conductor cannot tell who wrote it (the documented limit): the file is put back and kept in a salvage ref', async () => {
    const { repo, outcome } = await humanEditsDuringAttempt('none');
    expect(outcome.result).toBe('failed');
    const kept = /^the worker changed the user's checkout: notes\.txt; conductor put them back \(commits kept in (refs\/conductor\/salvage\/T01-user-files\/\S+)\)$/.exec(outcome.reason ?? '');
    expect(kept, outcome.reason).not.toBeNull();
    expect(existsSync(join(repo, 'notes.txt'))).toBe(false);
    expect(execFileSync('git', ['show', `${kept![1]}:notes.txt`], { cwd: repo, encoding: 'utf8' })).toBe('the human, typing\n');
  });
});

describe('conductor implement under the sandbox', () => {
  it.runIf(withBwrap)('runs workers and reviewers sandboxed to the end', async () => {
    requireBwrap();
    const backlog = 'version: 1\nfeature: demo\ntasks:\n  - { id: T01, title: First, description: Write src/T01.ts., acceptance: [it exists], scope: { files_hint: [src/T01.ts] } }\n  - { id: T02, title: Second, description: Write src/T02.ts., depends_on: [T01], acceptance: [it exists], scope: { files_hint: [src/T02.ts] } }\n';
    const configFor = (escape: string) => `sandbox: bwrap\nprovider: scripted\nproviders:\n  scripted:\n    command: [${JSON.stringify(node)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify({ SCRIPT_EDIT: `src/{task}.ts=export const done = 1;${escape}` })}\ngates:\n  - { name: test, run: [${JSON.stringify(node)}, -e, "0"] }\n`;
    const repo = gitdir({ 'tasks/BACKLOG.yaml': backlog, 'src/app.ts': 'export {};\n', '.gitignore': 'worktrees/\n.conductor/\nconductor.config.yaml\n' });
    // Into the user's src/, by a path relative to the task's worktree (which lies beside the checkout).
    writeFileSync(join(repo, 'conductor.config.yaml'), configFor(`|${relative(worktreePath(repo, 'T01'), join(repo, 'src'))}/escape-{task}.ts=x`));
    const result = await conductor(['implement'], { cwd: repo });
    // Every worker tries to write into the user's checkout as well: it cannot, so each attempt fails and the task ends blocked.
    expect(result.exitCode, result.stdout + result.stderr).toBe(1);
    expect(result.stdout.split('\n')[0]).toBe('2 tasks: 1 blocked, 1 pending');
    expect(readdirSync(join(repo, 'src'))).toEqual(['app.ts']);
    const ok = gitdir({ 'conductor.config.yaml': configFor(''), 'tasks/BACKLOG.yaml': backlog, 'src/app.ts': 'export {};\n', '.gitignore': 'worktrees/\n.conductor/\n' });
    const done = await conductor(['implement'], { cwd: ok });
    expect(done.exitCode, done.stdout + done.stderr).toBe(0);
    expect(done.stdout.split('\n')[0]).toBe('2 tasks: 2 done');
    expect(sh(ok, 'ls-tree', '--name-only', 'conductor/demo', 'src/')).toBe('src/T01.ts\nsrc/T02.ts\nsrc/app.ts');
  }, 90_000);
});

describe('a config that asks for the sandbox where bwrap is missing', () => {
  function repoWithoutBwrap() {
    const repo = gitdir({ 'conductor.config.yaml': `sandbox: bwrap\nprovider: scripted\nproviders:\n  scripted:\n    command: [${JSON.stringify(node)}, ${JSON.stringify(SCRIPT)}]\n` });
    const bin = join(testdir(), 'bin'); // git only: no bwrap on this PATH
    mkdirSync(bin);
    symlinkSync(which('git', process.env.PATH)!, join(bin, 'git'));
    writeFileSync(join(repo, '.gitignore'), '.conductor/\n');
    return { repo, env: { PATH: bin, HOME: process.env.HOME ?? '/root' } };
  }

  it('stops conductor at start with exit 2 and the package to install', async () => {
    const { repo, env } = repoWithoutBwrap();
    const result = await conductor(['implement'], { cwd: repo, env });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('conductor.config.yaml asks for sandbox: bwrap, but bubblewrap cannot run here: bwrap is not installed or not on PATH');
    expect(result.stderr).toContain('install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), or remove `sandbox: bwrap` from conductor.config.yaml');
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it('is reported by conductor doctor', async () => {
    const { repo, env } = repoWithoutBwrap();
    const missing = await conductor(['doctor'], { cwd: repo, env });
    expect(missing.exitCode).toBe(1);
    expect(missing.stdout).toContain('sandbox    no  bwrap is not installed or not on PATH (required: sandbox: bwrap)');
    expect(missing.stdout).toContain('not ready: the config asks for sandbox: bwrap, but bwrap is not installed or not on PATH; install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), or remove `sandbox: bwrap` from conductor.config.yaml.');
  });

  it.runIf(withBwrap)('is reported by conductor doctor as working where it is installed', async () => {
    requireBwrap();
    const { repo, env } = repoWithoutBwrap();
    const present = await conductor(['doctor'], { cwd: repo, env: { ...env, PATH: `${env.PATH}:/usr/bin:/bin` } });
    expect(present.stdout).toMatch(/^sandbox {4}ok {2}bwrap \d+\.\d+(\.\d+)? \S*bwrap \(required: sandbox: bwrap\)$/m);
  });
});

describe('sandbox: auto, the default', () => {
  const backlog = 'version: 1\nfeature: demo\ntasks:\n  - { id: T01, title: First, description: Write src/T01.ts., acceptance: [it exists], scope: { files_hint: [src/T01.ts] } }\n';
  /** A repository with no `sandbox` key, whose worker writes its file and tries one in the user's checkout. */
  const autoRepo = () =>
    gitdir({
      'conductor.config.yaml': `provider: scripted\nproviders:\n  scripted:\n    command: [${JSON.stringify(node)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify({ SCRIPT_EDIT: 'src/{task}.ts=export const done = 1;', SCRIPT_RUN: JSON.stringify([['sh', '-c', 'echo x > "$(git rev-parse --path-format=absolute --git-common-dir)/../escape.txt"']]) })}\ngates: []\n`,
      'tasks/BACKLOG.yaml': backlog,
      'src/app.ts': 'export {};\n',
      '.gitignore': 'worktrees/\n.conductor/\n',
    });

  it.runIf(withBwrap)('runs agents under bubblewrap where it works, and says so first', async () => {
    requireBwrap();
    const repo = autoRepo();
    // The test run sets CONDUCTOR_SANDBOX=none for every other test (vitest.config.ts); here the machine decides.
    const result = await conductor(['implement'], { cwd: repo, env: { CONDUCTOR_SANDBOX: '' } });
    expect(result.stderr.split('\n')[0]).toMatch(/^sandbox: bwrap \d+\.\d+(\.\d+)? \(only each agent's own worktree is writable\)$/);
    expect(result.exitCode, result.stdout + result.stderr).toBe(1);
    expect(existsSync(join(repo, 'escape.txt'))).toBe(false);
    const doctor = await conductor(['doctor'], { cwd: repo, env: { CONDUCTOR_SANDBOX: '' } });
    expect(doctor.stdout).toMatch(/^ {11}runs here: sandbox: bwrap \d/m);
  }, 90_000);

  it('runs without a sandbox where bubblewrap is missing, and says how to get it', async () => {
    const repo = autoRepo();
    const bin = join(testdir(), 'bin'); // git only: no bwrap on this PATH
    mkdirSync(bin);
    symlinkSync(which('git', process.env.PATH)!, join(bin, 'git'));
    const env = { PATH: bin, HOME: process.env.HOME ?? '/root', CONDUCTOR_SANDBOX: '' };
    const result = await conductor(['implement'], { cwd: repo, env });
    expect(result.stderr.split('\n')[0]).toBe('sandbox: none (auto: bubblewrap is not installed; Debian/Ubuntu: apt-get install bubblewrap); the boundary check still undoes writes outside the worktree');
    expect(result.stderr).not.toMatch(STACK_FRAME);
    const doctor = await conductor(['doctor'], { cwd: repo, env });
    expect(doctor.stdout).toContain('           runs here: sandbox: none (auto: bubblewrap is not installed; Debian/Ubuntu: apt-get install bubblewrap)');
  }, 90_000);

  it('takes CONDUCTOR_SANDBOX under auto, and refuses a value it does not know with exit 2', async () => {
    const repo = autoRepo();
    const none = await conductor(['implement'], { cwd: repo, env: { CONDUCTOR_SANDBOX: 'none' } });
    expect(none.stderr.split('\n')[0]).toBe('sandbox: none (CONDUCTOR_SANDBOX); agents can write outside their worktree, the boundary check undoes it');
    const bogus = await conductor(['implement'], { cwd: repo, env: { CONDUCTOR_SANDBOX: 'docker' } });
    expect([bogus.exitCode, bogus.stderr.split('\n')[0]]).toEqual([2, 'conductor: CONDUCTOR_SANDBOX=docker: expected auto, none or bwrap']);
  }, 90_000);
});
