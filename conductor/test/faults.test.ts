// Faults of the machine, not of conductor (issue #14 point 9): a full disk, a
// read-only tasks/, worktrees removed mid-run. Each is said as "cannot write
// <path>: <reason>" with what to do, exit 1 — never "internal error … this is
// a bug" — and the run picks up where it stopped once the fault is gone. The
// disk and the read-only directory are real: conductor runs inside bubblewrap
// with a small tmpfs or a read-only bind (root ignores file modes, so chmod
// cannot fake them); without bwrap these two do not run (CI installs it).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN, conductor, STACK_FRAME } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { BWRAP, canRun, requireProgram } from './helpers/system-programs.js';
import { worktreePath, worktreesDir } from './helpers/worktree-path.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const node = process.execPath;

function repoWith(agentEnv: Record<string, string>): string {
  return gitdir({
    'conductor.config.yaml': `provider: scripted\nproviders:\n  scripted:\n    command: [${JSON.stringify(node)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify({ SCRIPT_EDIT: 'src/{task}.ts=export const done = 1;', ...agentEnv })}\ngates: []\n`,
    'tasks/BACKLOG.yaml': 'version: 1\nfeature: demo\ntasks:\n  - { id: T01, title: First, description: Write src/T01.ts., acceptance: [it exists], scope: { files_hint: [src/T01.ts] } }\n',
    'src/app.ts': 'export {};\n',
    '.gitignore': 'worktrees/\n.conductor/\n',
  });
}

const merged = (repo: string) => execFileSync('git', ['ls-tree', '--name-only', 'conductor/demo', 'src/'], { cwd: repo, encoding: 'utf8' }).trim();

/** `script` (bash) run inside bubblewrap with `mounts` on top of the whole filesystem: conductor as a user runs it, on a faulty disk. */
async function inBwrap(mounts: string[], script: string, cwd: string) {
  const result = await execa('bwrap', ['--dev-bind', '/', '/', ...mounts, 'bash', '-c', script], { cwd, reject: false, stdin: 'ignore', env: { CONDUCTOR: `${node} ${BIN}` }, timeout: 120_000 });
  return { exitCode: result.exitCode ?? -1, output: `${result.stdout}\n${result.stderr}` };
}

describe('faults of the machine', () => {
  it.runIf(canRun(BWRAP))('a read-only tasks/: one line naming the file and the reason, exit 1, and the next run finishes the task', async () => {
    requireProgram(BWRAP);
    const repo = repoWith({});
    const tasks = join(repo, 'tasks');
    const readOnly = await inBwrap(['--ro-bind', tasks, tasks], '$CONDUCTOR implement', repo);
    expect(readOnly.exitCode).toBe(1);
    expect(readOnly.output).toContain('\nconductor: cannot write tasks/T01.status.json: read-only file system\nhint: make it writable for conductor, then continue with `conductor resume` (or the same command again): what was written before is intact');
    expect(readOnly.output).not.toContain('internal error');
    expect(readOnly.output).not.toMatch(STACK_FRAME);
    const again = await conductor(['implement'], { cwd: repo });
    expect([again.exitCode, again.stdout.split('\n')[0]], again.stderr).toEqual([0, '1 task: 1 done']);
    expect(merged(repo)).toBe('src/T01.ts\nsrc/app.ts');
  }, 120_000);

  it.runIf(canRun(BWRAP))('a disk that fills up mid-run: the reason and what to do, exit 1, and after freeing space the run finishes', async () => {
    requireProgram(BWRAP);
    const disk = testdir(); // a 16 MB tmpfs is mounted here: the repository lives on it
    const filler = join(disk, 'filler');
    // The worker fills the disk once (as a build's output or a log might), so conductor's next writes fail.
    const repo = repoWith({ SCRIPT_RUN: JSON.stringify([['sh', '-c', `[ -e ${disk}/filled ] || { touch ${disk}/filled; dd if=/dev/zero of=${filler} bs=64k 2>/dev/null; true; }`]]) });
    const script = [
      'exec 2>&1', // one stream, in order: the markers below split it by run
      `cp -a ${repo} ${disk}/repo && cd ${disk}/repo`,
      '$CONDUCTOR implement; echo "[first exit $?]"',
      `rm -f ${filler}`,
      '$CONDUCTOR implement; echo "[second exit $?]"',
      'git ls-tree --name-only conductor/demo src/',
    ].join('\n');
    const { output } = await inBwrap(['--size', String(16 * 1024 * 1024), '--tmpfs', disk], script, repo);
    const [first = '', second = ''] = output.split('[first exit 1]');
    expect(output, output).toContain('[first exit 1]');
    expect(first).toMatch(/^conductor: cannot (?:write|append to|create) \S+: no space left on device$/m);
    expect(first).toContain('\nhint: free some disk space, then continue with `conductor resume` (or the same command again): what was written before is intact');
    expect(output).not.toContain('internal error');
    expect(output).not.toMatch(STACK_FRAME);
    expect(second).toContain('1 task: 1 done');
    expect(second).toContain('[second exit 0]\nsrc/T01.ts\nsrc/app.ts');
  }, 120_000);

  it('a worktrees/ directory removed mid-run: the attempt fails, conductor re-creates its worktrees and the task merges', async () => {
    const repo = repoWith({});
    const worktrees = worktreesDir(repo);
    // The first attempt's worker removes every worktree conductor has, the integration worktree included.
    writeFileSync(join(repo, 'conductor.config.yaml'), readFileSync(join(repo, 'conductor.config.yaml'), 'utf8').replace('gates: []', '').replace(/env: (\{.*\})/, (_m, env: string) => `env: ${JSON.stringify({ ...JSON.parse(env), SCRIPT_RUN_T01_1: JSON.stringify([['rm', '-rf', worktrees]]) })}`) + 'gates: []\n');
    const result = await conductor(['implement'], { cwd: repo });
    expect(result.stderr).not.toContain('internal error');
    expect([result.exitCode, result.stdout.split('\n')[0]], result.stderr).toEqual([0, '1 task: 1 done']);
    expect(result.stderr).toContain('implement: T01 attempt 1 failed: the worker removed its worktree');
    expect(result.stderr).toContain('implement: T01 merged into conductor/demo (attempt 2)');
    expect(merged(repo)).toBe('src/T01.ts\nsrc/app.ts');
    expect(existsSync(join(worktreePath(repo, '_integration'), '.git'))).toBe(true);
  }, 120_000);
});
