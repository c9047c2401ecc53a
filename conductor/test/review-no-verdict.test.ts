// Issue #13: a reviewer's format problem never costs the worker an attempt.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateBacklogText } from '../src/backlog/validate-backlog.js';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { backlog, writeTask } from './helpers/backlogs.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

/** T01, and T02 that does not depend on it; the reviewer answers as `verdict` says. */
function project(verdict: string) {
  const log = join(testdir(), 'prompts.jsonl');
  const config = `provider: scripted\nconcurrency: 1\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify({ SCRIPT_LOG: log, SCRIPT_EDIT: 'src/{task}.ts=export const done = "attempt {attempt}";', SCRIPT_VERDICT_T01: verdict })}\ngates: []\n`;
  const repo = gitdir({ 'conductor.config.yaml': config, 'tasks/BACKLOG.yaml': backlog(writeTask('T01', 'First'), writeTask('T02', 'Second')), 'src/app.ts': 'export {};\n', '.gitignore': 'worktrees/\n.conductor/\n' });
  const prompts = () => readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { role: string; attempt: number; prompt: string });
  const statusOf = (id: string) => JSON.parse(readFileSync(join(repo, 'tasks', `${id}.status.json`), 'utf8')) as { status: string; attempt: number; pid?: number; note?: string; history: { to: string }[] };
  const stateOf = (id: string) => validateBacklogText(readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8'), 'f').backlog!.tasks.find((t) => t.id === id);
  return { repo, prompts, statusOf, stateOf };
}

describe('a reviewer that gives no usable verdict', () => {
  it('merges a terse approval with an extra key in one review', async () => {
    const { repo, prompts, stateOf } = project('terse');
    const result = await conductor(['implement', '--only', 'T01'], { cwd: repo });
    expect(result.stderr).toContain('implement: T01 merged into conductor/demo (attempt 1)');
    expect(stateOf('T01')).toMatchObject({ status: 'done', attempts: 1 });
    expect(prompts().map((p) => p.role)).toEqual(['implementer', 'reviewer']);
  }, 60_000);

  it('leaves the task in review for a human without charging the worker, and resume reviews the same commit again', async () => {
    const { repo, prompts, statusOf, stateOf } = project('garbage');
    const result = await conductor(['implement'], { cwd: repo });
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(1);
    expect(result.stdout.split('\n')[0]).toBe('2 tasks: 1 review, 1 done'); // concurrency 1: T02 still ran
    const status = statusOf('T01');
    expect(status).toMatchObject({ status: 'review', attempt: 1 });
    expect(status.pid).toBeUndefined();
    expect(status.history.map((h) => h.to)).not.toContain('failed');
    expect(status.note).toMatch(/^no usable verdict from the reviewer after 3 sessions \(last reply saved in \.conductor\/sessions\/[0-9a-f-]{36}\/output\.md\): the reviewer's reply was not a valid verdict: the reply holds no JSON object$/);
    expect(stateOf('T01')).toMatchObject({ status: 'review', attempts: 1 });
    const of = (id: string) => prompts().filter((p) => p.prompt.includes(id));
    expect(of('T01').map((p) => p.role)).toEqual(['implementer', 'reviewer', 'reviewer', 'reviewer']);
    expect(readFileSync(join(repo, 'tasks', 'T01.notes.md'), 'utf8')).toContain('## Review of attempt 1: no usable verdict from the reviewer\n');

    const shown = await conductor(['status'], { cwd: repo });
    expect(shown.stdout).toMatch(/T01 +First +review +1/);
    expect(shown.stdout).toContain(`  T01: ${status.note}; waiting for you: read that reply, then run conductor resume (or conductor implement) to have a new reviewer look at the attempt's commit, or set the task's status in tasks/BACKLOG.yaml by hand\n`);

    const commit = sh(repo, 'rev-parse', 'task/T01');
    const config = join(repo, 'conductor.config.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('"SCRIPT_VERDICT_T01":"garbage"', '"SCRIPT_VERDICT_T01":"approve"'));
    const resumed = await conductor(['implement', '--only', 'T01'], { cwd: repo });
    expect(resumed.exitCode, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
    expect(resumed.stderr).toContain('implement: T01 attempt 1: its review was cut short by a reviewer that gave no usable verdict; its commit is checked and reviewed again\n');
    expect(of('T01').map((p) => p.role)).toEqual(['implementer', 'reviewer', 'reviewer', 'reviewer', 'reviewer']);
    expect(sh(repo, 'rev-parse', 'conductor/demo^2')).toBe(commit);
    expect(stateOf('T01')).toMatchObject({ status: 'done', attempts: 1 });
  }, 120_000);
});
