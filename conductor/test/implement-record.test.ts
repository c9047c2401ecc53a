// Issue #15: a standalone `conductor implement` (no `run`) leaves a run record
// (.conductor/run.json) as `run` does, so status, report, finish and resume
// know the run; bad input leaves none; another feature's unfinished run is
// not taken over.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backlog, writeTask } from './helpers/backlogs.js';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const sh = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd, encoding: 'utf8' }).trim();

interface Journal {
  runId: string;
  slug: string;
  phase: string;
  state: string;
  startedBy?: string;
  requestPath: string;
  unfinished?: string[];
  startedAt: string;
  baseCommit?: string;
  closed?: { how: string };
}
const journal = (repo: string) => JSON.parse(readFileSync(join(repo, '.conductor', 'run.json'), 'utf8')) as Journal;
const ledgerRuns = (repo: string) => [...new Set(readFileSync(join(repo, '.conductor', 'sessions.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { runId: string }).runId))];

function configText(log: string, env: Record<string, string> = {}, extra = ''): string {
  return `provider: scripted\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify({ SCRIPT_LOG: log, SCRIPT_EDIT: 'src/{task}.ts=export const done = true;', ...env })}\n${extra}`;
}

function project(env: Record<string, string> = {}, extra = '') {
  const log = join(testdir(), 'prompts.jsonl');
  const repo = gitdir({ 'conductor.config.yaml': configText(log, env, extra), 'tasks/BACKLOG.yaml': backlog(writeTask('T01', 'First'), writeTask('T02', 'Second', ['T01'])), 'src/app.ts': 'export {};\n', '.gitignore': 'worktrees/\n.conductor/\ntasks/\n' });
  return { repo, log };
}

describe('a standalone conductor implement keeps a run record', () => {
  it('records the run, which status shows and finish closes', async () => {
    const { repo } = project();
    const head = sh(repo, 'rev-parse', 'HEAD');
    const result = await conductor(['implement'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    const record = journal(repo);
    expect(record).toMatchObject({ slug: 'demo', phase: 'implement', state: 'finished', startedBy: 'implement', requestPath: '', unfinished: [], baseCommit: head });
    expect(ledgerRuns(repo)).toEqual([record.runId]);

    const status = await conductor(['status'], { cwd: repo });
    expect(status.stdout.split('\n').slice(0, 2)).toEqual(['run: demo, finished', 'next: git merge conductor/demo']);

    const finish = await conductor(['finish'], { cwd: repo });
    expect(finish.exitCode, finish.stderr).toBe(0);
    expect(finish.stdout).toContain('the run of "demo" is finished');
    expect(journal(repo).closed?.how).toBe('finished');
    expect(sh(repo, 'ls-tree', '--name-only', 'HEAD', 'src/').split('\n')).toEqual(['src/T01.ts', 'src/T02.ts', 'src/app.ts']);
  }, 120_000);

  it('a second implement has a run id of its own and keeps the record\'s start; resume carries an unfinished one on', async () => {
    const { repo, log } = project({ SCRIPT_VERDICT_T02: 'changes' }, 'attempts: 1\n');
    const first = await conductor(['implement', '--only', 'T01'], { cwd: repo });
    expect(first.exitCode, first.stderr).toBe(1); // T02 not done
    const one = journal(repo);
    expect([one.state, one.unfinished]).toEqual(['finished', ['T02']]);

    const second = await conductor(['implement'], { cwd: repo });
    expect(second.exitCode).toBe(1);
    expect(second.stdout).toContain('1 done, 1 blocked');
    const two = journal(repo);
    expect([two.state, two.unfinished, two.startedAt]).toEqual(['finished', ['T02'], one.startedAt]);
    expect(two.runId).not.toBe(one.runId);
    expect(ledgerRuns(repo)).toEqual([one.runId, two.runId]);

    const retry = await conductor(['retry', 'T02'], { cwd: repo });
    expect(retry.stdout).toBe('T02 is pending again with 0 attempts (was blocked); run it with: conductor resume');
    writeFileSync(join(repo, 'conductor.config.yaml'), configText(log, {}, 'attempts: 1\n'));
    const resume = await conductor(['resume'], { cwd: repo });
    expect(resume.exitCode, resume.stderr).toBe(0);
    expect(resume.stdout).toBe('2 tasks: 2 done\nall merged into conductor/demo; merge it into your branch with: git merge conductor/demo');
    expect(journal(repo)).toMatchObject({ runId: two.runId, state: 'finished', unfinished: [] });
  }, 120_000);

  it('carries an unfinished conductor run of the same feature on under that run\'s id', async () => {
    const log = join(testdir(), 'prompts.jsonl');
    const request = '# Feature Request: Rate Limiter\n\n## User Story\nx\n## Problem Statement\nx\n## Requirements\n- x\n## Constraints\n- x\n## Success Criteria\n- [ ] x\n';
    const repo = gitdir({ 'conductor.config.yaml': configText(log, { SCRIPT_EDIT: 'src/{task}-attempt.ts=export const written = "{task} {attempt}";' }), 'rate-limiter.md': request, 'src/app.ts': 'export {};\n', '.gitignore': 'worktrees/\n.conductor/\ntasks/\nspecs/\n' });
    const paused = await conductor(['run', 'rate-limiter.md'], { cwd: repo });
    expect(paused.stdout).toContain('paused at the backlog checkpoint');
    const run = journal(repo);
    const result = await conductor(['implement'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(journal(repo)).toMatchObject({ runId: run.runId, slug: 'rate-limiter', requestPath: 'rate-limiter.md', phase: 'implement', state: 'finished', unfinished: [], startedAt: run.startedAt });
    expect(journal(repo).startedBy).toBeUndefined();
    expect(ledgerRuns(repo)).toEqual([run.runId]);
  }, 120_000);

  it('bad input leaves no record', async () => {
    const { repo } = project();
    const result = await conductor(['implement', '--only', 'T9'], { cwd: repo });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('conductor: --only names a task not in tasks/BACKLOG.yaml: T9');
    expect(existsSync(join(repo, '.conductor', 'run.json'))).toBe(false);
  });

  it('does not take over another feature\'s unfinished run, and sets a finished one aside', async () => {
    const { repo } = project();
    const other = { runId: 'other-run', requestPath: 'x.md', slug: 'rate-limiter', specDir: join(repo, 'specs', 'rate-limiter'), dontTouch: [], phase: 'backlog', state: 'paused', checkpoint: 'backlog', startedAt: '2026-11-20T09:00:00.000Z', updatedAt: '2026-11-20T09:00:00.000Z' };
    mkdirSync(join(repo, '.conductor'), { recursive: true });
    writeFileSync(join(repo, '.conductor', 'run.json'), JSON.stringify(other));
    const refused = await conductor(['implement'], { cwd: repo });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toBe('conductor: tasks/BACKLOG.yaml is for "demo", but the run of "rate-limiter" here is not finished (paused in its backlog phase)\nhint: continue that run with conductor resume, or stop tracking it with conductor abandon (its branches stay), then conductor implement');
    expect(journal(repo).runId).toBe('other-run');

    writeFileSync(join(repo, '.conductor', 'run.json'), JSON.stringify({ ...other, phase: 'implement', state: 'finished', checkpoint: undefined }));
    const result = await conductor(['implement'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('implement: the earlier run of "rate-limiter" (finished) is recorded in .conductor/runs/other-run/run.json; this one is "demo"');
    expect(journal(repo)).toMatchObject({ slug: 'demo', state: 'finished' });
    expect((JSON.parse(readFileSync(join(repo, '.conductor', 'runs', 'other-run', 'run.json'), 'utf8')) as Journal).slug).toBe('rate-limiter');
  }, 120_000);
});
