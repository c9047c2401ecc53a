// Issue #15 item 10: a run can be finished, abandoned or a task retried, and a
// re-run of the same feature starts from the user's branch, not the old
// integration branch. Everything through the built CLI with the scripted agent.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { worktreePath } from './helpers/worktree-path.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const sh = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd, encoding: 'utf8' }).trim();
const tryGit = (cwd: string, ...args: string[]) => {
  try {
    sh(cwd, ...args);
    return 0;
  } catch {
    return 1;
  }
};
const request = (name: string) => `# Feature Request: ${name}\n\n## User Story\nx\n## Problem Statement\nx\n## Requirements\n- x\n## Constraints\n- x\n## Success Criteria\n- [ ] x\n`;
const journal = (repo: string) => JSON.parse(readFileSync(join(repo, '.conductor', 'run.json'), 'utf8')) as { runId: string; state: string; closed?: { how: string } };

function configText(log: string, extraEnv: Record<string, string> = {}, extra = ''): string {
  const env = { SCRIPT_LOG: log, SCRIPT_EDIT: 'src/{task}-attempt.ts=export const written = "{task} {attempt}";', ...extraEnv };
  return `provider: scripted\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify(env)}\n${extra}`;
}

function project(extraEnv: Record<string, string> = {}, extra = '') {
  const log = join(testdir(), 'prompts.jsonl');
  const repo = gitdir({ 'conductor.config.yaml': configText(log, extraEnv, extra), 'rate-limiter.md': request('Rate Limiter'), 'audit-log.md': request('Audit Log'), 'src/app.ts': 'export {};\n', '.gitignore': 'worktrees/\n.conductor/\ntasks/\nspecs/\n' });
  const implementers = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter((l) => (JSON.parse(l) as { role: string }).role === 'implementer').length : 0);
  return { repo, log, implementers };
}

describe('two features and a re-run of one in a repository', () => {
  it('finishes, abandons and re-runs from the user\'s branch', async () => {
    const { repo, log, implementers } = project();
    const first = await conductor(['run', 'rate-limiter.md', '--yes'], { cwd: repo });
    expect(first.exitCode, first.stderr).toBe(0);

    const finish = await conductor(['finish'], { cwd: repo });
    expect(finish.exitCode, finish.stderr).toBe(0);
    expect(finish.stdout).toMatch(/^merged conductor\/rate-limiter into main \([0-9a-f]{12}\)\nremoved the integration worktree; delete the branch when you like: git branch -d conductor\/rate-limiter\nthe run of "rate-limiter" is finished\nno salvage refs from this run$/);
    expect(existsSync(worktreePath(repo, '_integration'))).toBe(false);
    expect(tryGit(repo, 'branch', '-d', 'conductor/rate-limiter')).toBe(0);
    expect(sh(repo, 'ls-tree', '--name-only', 'HEAD', 'src/').split('\n')).toEqual(['src/T01-attempt.ts', 'src/T02-attempt.ts', 'src/app.ts']);
    expect(journal(repo).closed?.how).toBe('finished');
    const again = await conductor(['finish'], { cwd: repo });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/^the run of "rate-limiter" was finished at \S+\nno salvage refs from this run$/);

    // The second feature writes files of its own: the first one's are in main now.
    writeFileSync(join(repo, 'conductor.config.yaml'), configText(log, { SCRIPT_EDIT: 'src/audit-{task}.ts=export const written = "{task} {attempt}";' }));
    sh(repo, 'commit', '-qam', 'audit-log config');
    const second = await conductor(['run', 'audit-log.md', '--yes'], { cwd: repo });
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stdout).toBe('2 tasks: 2 done\nall merged into conductor/audit-log; merge it into your branch with: git merge conductor/audit-log');
    const auditRun = journal(repo).runId;
    const abandon = await conductor(['abandon'], { cwd: repo });
    expect(abandon.exitCode, abandon.stderr).toBe(0);
    expect(abandon.stdout).toBe(`abandoned the run of "audit-log"; its files are in .conductor/runs/${auditRun}/\nkept the branch conductor/audit-log (4 commits not in your branch); a new run of "audit-log" starts from your branch and renames it`);
    expect(existsSync(join(repo, '.conductor', 'run.json'))).toBe(false);
    expect(existsSync(join(repo, '.conductor', 'runs', auditRun, 'tasks', 'BACKLOG.yaml'))).toBe(true);
    expect(existsSync(worktreePath(repo, '_integration'))).toBe(false);

    // The same slug again: built from main, not from the abandoned branch (where every worker found "no changes").
    const rerun = await conductor(['run', 'audit-log.md', '--yes'], { cwd: repo });
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain(`run: an earlier run of "audit-log" left conductor/audit-log, not merged into your branch; it is kept as conductor/audit-log.run-${auditRun.slice(0, 8)}, and this run starts from your HEAD`);
    expect(rerun.stdout).toBe('2 tasks: 2 done\nall merged into conductor/audit-log; merge it into your branch with: git merge conductor/audit-log');
    expect(implementers()).toBe(6);
    expect(sh(repo, 'merge-base', 'conductor/audit-log', 'main')).toBe(sh(repo, 'rev-parse', 'main'));
    expect(sh(repo, 'rev-parse', `conductor/audit-log.run-${auditRun.slice(0, 8)}`)).not.toBe(sh(repo, 'rev-parse', 'conductor/audit-log'));
    const last = await conductor(['finish'], { cwd: repo });
    expect(last.exitCode, last.stdout).toBe(0);
    expect(tryGit(repo, 'branch', '-d', 'conductor/audit-log')).toBe(0);
  }, 180_000);

  it('re-runs a finished feature from the user\'s branch even without finish or abandon', async () => {
    const { repo, implementers } = project();
    expect((await conductor(['run', 'audit-log.md', '--yes'], { cwd: repo })).exitCode).toBe(0);
    const earlier = sh(repo, 'rev-parse', 'conductor/audit-log');
    const earlierRun = journal(repo).runId;
    const rerun = await conductor(['run', 'audit-log.md', '--yes'], { cwd: repo });
    expect(rerun.exitCode, rerun.stdout).toBe(0);
    expect(rerun.stdout).toBe('2 tasks: 2 done\nall merged into conductor/audit-log; merge it into your branch with: git merge conductor/audit-log');
    // One attempt each: on the old branch every first attempt found its file already written ("no changes").
    expect(implementers()).toBe(4);
    expect(tryGit(repo, 'merge-base', '--is-ancestor', earlier, 'conductor/audit-log')).toBe(1);
    expect(sh(repo, 'rev-parse', `conductor/audit-log.run-${earlierRun.slice(0, 8)}`)).toBe(earlier);
  }, 120_000);
});

describe('conductor retry', () => {
  it('sets a blocked task back to pending with 0 attempts in the backlog and its record, and resume runs it again', async () => {
    const { repo, log, implementers } = project({ SCRIPT_VERDICT_T02: 'changes' }, 'attempts: 1\n');
    const run = await conductor(['run', 'rate-limiter.md', '--yes'], { cwd: repo });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('1 done, 1 blocked');

    const finish = await conductor(['finish'], { cwd: repo });
    expect(finish.exitCode).toBe(2);
    expect(finish.stderr).toBe('conductor: not every task is done: T02 (blocked)\nhint: retry one with conductor retry T02 then conductor resume, or stop tracking the run with conductor abandon (its branches stay)');

    const unknown = await conductor(['retry', 'T2'], { cwd: repo });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toBe('conductor: no task T2 in tasks/BACKLOG.yaml\nhint: did you mean T02?');
    const done = await conductor(['retry', 'T01'], { cwd: repo });
    expect(done.exitCode).toBe(2);
    expect(done.stderr).toBe('conductor: T01 is done: only a blocked or failed task can be retried\nhint: it is merged already');

    const retry = await conductor(['retry', 'T02'], { cwd: repo });
    expect(retry.exitCode, retry.stderr).toBe(0);
    expect(retry.stdout).toBe('T02 is pending again with 0 attempts (was blocked); run it with: conductor resume');
    const backlog = readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8');
    expect(backlog.slice(backlog.indexOf('id: T02'))).toMatch(/status: pending\n\s+attempts: 0\n/);
    const record = JSON.parse(readFileSync(join(repo, 'tasks', 'T02.status.json'), 'utf8')) as { status: string; attempt: number; history: { from?: string; to: string; note?: string }[] };
    expect([record.status, record.attempt]).toEqual(['pending', 0]);
    expect(record.history.at(-1)).toMatchObject({ from: 'blocked', to: 'pending', kind: 'human', cause: 'retried-by-hand', note: 'retried by hand (conductor retry) after 1 attempt' });

    writeFileSync(join(repo, 'conductor.config.yaml'), configText(log, {}, 'attempts: 1\n'));
    const resume = await conductor(['resume'], { cwd: repo });
    expect(resume.exitCode, resume.stderr).toBe(0);
    expect(resume.stdout).toBe('2 tasks: 2 done\nall merged into conductor/rate-limiter; merge it into your branch with: git merge conductor/rate-limiter');
    expect(implementers()).toBe(3);
  }, 120_000);
});

describe('--merge on a dirty checkout', () => {
  it('warns before any agent runs, and the run exits 1 when the merge did not happen', async () => {
    const { repo } = project();
    writeFileSync(join(repo, 'src', 'app.ts'), 'export const mine = 1;\n');
    const run = await conductor(['run', 'rate-limiter.md', '--yes', '--merge'], { cwd: repo });
    expect(run.exitCode).toBe(1);
    const warning = 'warning: --merge: your checkout has uncommitted changes (1 file); commit or stash them; unless that changes by the end, the merge will not happen and the run exits 1';
    // After the sandbox line, before anything else: before any agent runs.
    expect(run.stderr.split('\n').slice(0, 2)).toEqual(['sandbox: none (CONDUCTOR_SANDBOX); agents can write outside their worktree, the boundary check undoes it', warning]);
    expect(run.stdout).toBe('2 tasks: 2 done\nall merged into conductor/rate-limiter; not merged: your checkout has uncommitted changes (1 file); commit or stash them, then run: git merge --no-ff conductor/rate-limiter');
  }, 120_000);
});
