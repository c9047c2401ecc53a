// What conductor writes into files meant for git names no path of the machine
// (#18): a run's tasks/, specs/ and docs/ hold no temp dir, worktree dir or
// $HOME, and a status file names its worktree and logs relative to the
// repository, while records with the absolute paths of earlier versions still read.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Task } from '../src/backlog/types.js';
import type { PhaseContext } from '../src/phases/call-role.js';
import { rewriteToRetry } from '../src/phases/resume-point.js';
import { portablePath, resolvedPath } from '../src/state/portable-path.js';
import { newTaskStatus } from '../src/state/status-file.js';
import { conductor, STACK_FRAME } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { worktreePath, worktreesDir } from './helpers/worktree-path.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const REQUEST = '# Feature Request: Rate Limiter\n\n## User Story\nx\n## Problem Statement\nx\n## Requirements\n- x\n## Constraints\n- x\n## Success Criteria\n- [ ] x\n';

/** Every file under `dir`, as [path relative to `root`, content]. */
function filesUnder(root: string, dir: string): [string, string][] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    return statSync(join(root, path)).isDirectory() ? filesUnder(root, path) : [[path, readFileSync(join(root, path), 'utf8')] as [string, string]];
  });
}

describe('portable committed files', () => {
  it('a run leaves tasks/, specs/ and docs/ with no temp dir, worktree dir or $HOME in them; status files name paths relative to the repository', async () => {
    // Every implementer fails once (a session log in the note), the gates write logs, one task ends blocked with its worktree kept.
    const env = { SCRIPT_LOG: join(testdir(), 'prompts.jsonl'), SCRIPT_FAIL_ONCE: 'implementer', SCRIPT_EDIT: 'src/{task}.ts=export const done = "{task}";', SCRIPT_EDIT_T02: 'src/T02.ts=BROKEN' };
    const check = 'for (const f of require("fs").readdirSync("src")) if (require("fs").readFileSync("src/" + f, "utf8").includes("BROKEN")) { console.error(process.cwd() + "/src/" + f + " is BROKEN"); process.exit(1) }';
    const config = `provider: scripted\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify(env)}\ngates:\n  - { name: test, run: [${JSON.stringify(process.execPath)}, check.js] }\n`;
    const repo = gitdir({ 'conductor.config.yaml': config, 'feature-request.md': REQUEST, 'src/app.ts': 'export {};\n', 'check.js': check, '.gitignore': '.conductor/\n' });
    const result = await conductor(['run', '--yes', 'feature-request.md'], { cwd: repo, timeoutMs: 150_000 });
    expect(result.stdout.split('\n')[0], result.stderr).toBe('2 tasks: 1 done, 1 blocked');

    const T01 = JSON.parse(readFileSync(join(repo, 'tasks', 'T01.status.json'), 'utf8')) as { worktree: string; verification: { gates: { log: string }[] }; history: { note?: string }[] };
    const T02 = JSON.parse(readFileSync(join(repo, 'tasks', 'T02.status.json'), 'utf8')) as typeof T01 & { status: string };
    expect(T01.verification.gates.map((g) => g.log)).toEqual(['.conductor/logs/T01/attempt-2/test.log']);
    expect(T01.history.map((h) => h.note).filter((note) => note?.includes('log:'))).toEqual([expect.stringMatching(/; log: \.conductor\/sessions\/[0-9a-f-]{36}\/call\.log$/)]);
    const name = repo.split('/').at(-1)!;
    expect([T02.status, T02.worktree]).toEqual(['blocked', `../${name}.worktrees/T02`]);
    expect(resolvedPath(repo, T02.worktree)).toBe(worktreePath(repo, 'T02'));

    const files = ['tasks', 'specs', 'docs'].flatMap((dir) => filesUnder(repo, dir));
    expect(files.map(([path]) => path)).toEqual(expect.arrayContaining(['tasks/T01.status.json', 'tasks/T02.notes.md', 'specs/rate-limiter/SPEC.md', 'specs/rate-limiter/BACKLOG.yaml', 'docs/repo-map.md']));
    // Each backlog names its schema by the copy beside it, never by the package's path on this machine.
    for (const dir of ['tasks', 'specs/rate-limiter']) {
      expect(readFileSync(join(repo, dir, 'BACKLOG.yaml'), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./backlog.schema.json');
      expect(existsSync(join(repo, dir, 'backlog.schema.json'))).toBe(true);
    }
    const machine = [repo, worktreesDir(repo), homedir()];
    const leaks = files.flatMap(([path, text]) => machine.filter((p) => text.includes(p)).map((p) => `${path}: ${p}`));
    expect(leaks).toEqual([]);
  }, 180_000);

  it('docsDir moves the repo map; one outside the repository is a located error with exit 2', async () => {
    const repo = gitdir({ 'src/app.ts': 'export {};\n', 'conductor.config.yaml': 'docsDir: notes/conductor/\n' });
    const built = await conductor(['repo-map'], { cwd: repo });
    expect([built.exitCode, built.stdout.split(':')[0]], built.stderr).toEqual([0, 'notes/conductor/repo-map.md']);
    expect(existsSync(join(repo, 'notes', 'conductor', 'repo-map.md'))).toBe(true);
    expect(existsSync(join(repo, 'docs'))).toBe(false);
    writeFileSync(join(repo, 'conductor.config.yaml'), 'docsDir: ../elsewhere\n');
    const refused = await conductor(['repo-map'], { cwd: repo });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr.split('\n')[0]).toMatch(/^conductor\.config\.yaml:1:10 error invalid-value: "docsDir" "\.\.\/elsewhere" must match .* — name a folder inside the repository, relative to it, e\.g\. "docs" or "docs\/conductor"$/);
    expect(refused.stderr).not.toMatch(STACK_FRAME);
  });

  it('resume finds a kept worktree from the relative path in the record, and from an absolute one an earlier version wrote', async () => {
    // A rewrite a rate limit cut short after a rebase verdict: resume takes up the kept worktree for the diffstat.
    const repo = testdir({ 'tasks/T01.review.json': JSON.stringify({ verdict: 'rebase', attempt: 2, summary: 'split it', required_changes: ['smaller steps'] }) });
    const kept = join(worktreesDir(repo), 'T01');
    mkdirSync(kept, { recursive: true });
    writeFileSync(join(kept, '.git'), 'gitdir: elsewhere\n');
    const ctx = { repoRoot: repo } as PhaseContext;
    const task = { id: 'T01' } as Task;
    for (const worktree of [`../${repo.split('/').at(-1)!}.worktrees/T01`, kept]) {
      const status = { ...newTaskStatus('T01'), attempt: 2, worktree, baseCommit: 'abc123' };
      expect((await rewriteToRetry(ctx, task, status)).work, worktree).toEqual({ worktree: kept, baseCommit: 'abc123', gates: [] });
    }
  });

  it('a path is written relative to the repository and read back absolute; an absolute one from an earlier version reads as it is', () => {
    expect(portablePath('/home/u/app', '/home/u/app.worktrees/T01')).toBe('../app.worktrees/T01');
    expect(portablePath('/home/u/app', '/home/u/app/.conductor/logs/T01/attempt-1/test.log')).toBe('.conductor/logs/T01/attempt-1/test.log');
    expect(portablePath('/home/u/app', 'already/relative')).toBe('already/relative');
    expect(resolvedPath('/srv/app', '../app.worktrees/T01')).toBe('/srv/app.worktrees/T01');
    expect(resolvedPath('/srv/app', '/home/u/app.worktrees/T01')).toBe('/home/u/app.worktrees/T01');
  });
});
