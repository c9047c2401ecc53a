// `done` is conductor's alone (issue #14 row 5, point 4), and conductor's record
// of a merged task wins over a stale copy of BACKLOG.yaml (issue #15 item 5).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decideDone } from '../src/phases/done-authority.js';
import { validateBacklogText } from '../src/backlog/validate-backlog.js';
import { backlog, writeTask } from './helpers/backlogs.js';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
const BACKLOG = backlog(writeTask('T01', 'First'), writeTask('T02', 'Second', ['T01']));

function project(env: Record<string, string> = {}) {
  const log = join(testdir(), 'prompts.jsonl');
  const config = `provider: scripted\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify({ SCRIPT_LOG: log, SCRIPT_EDIT: 'src/{task}.ts=export const done = true;', ...env })}\n`;
  const repo = gitdir({ 'conductor.config.yaml': config, 'tasks/BACKLOG.yaml': BACKLOG, 'src/app.ts': 'export {};\n', '.gitignore': 'worktrees/\n.conductor/\n' });
  const roles = () => readFileSync(log, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { role: string }).role);
  return { repo, roles };
}
const states = (repo: string) => validateBacklogText(readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8'), 'f').backlog!.tasks.map((t) => `${t.id}:${t.status}`);

describe('decideDone', () => {
  const record = { done: new Set(['T01']), recorded: new Map([['T02', 'failed' as const]]) };
  it.each([
    ['a done conductor recorded', { id: 'T01', status: 'done' as const }, []],
    ['a done nobody merged, with a record', { id: 'T02', status: 'done' as const }, ['T02 done -> failed']],
    ['a done nobody merged, with no record', { id: 'T03', status: 'done' as const }, ['T03 done -> pending']],
    ['a merged task a stale save set back to pending', { id: 'T01', status: 'pending' as const }, ['T01 pending -> done']],
    ['a merged task set to skipped by a human', { id: 'T01', status: 'skipped' as const }, []],
    ['a pending task', { id: 'T03', status: 'pending' as const }, []],
  ])('%s', (_name, task, expected) => {
    expect(decideDone([task], record, 'tasks/BACKLOG.yaml').map((c) => `${c.id} ${c.written} -> ${c.kept}`)).toEqual(expected);
  });
});

describe('done is conductor\'s alone', () => {
  it('a worker that marks another task done in the checkout\'s tasks/BACKLOG.yaml does not stop it from running and merging', async () => {
    const forge = `if (process.env.CONDUCTOR_TASK_ID === 'T01') { const fs = require('fs'); const p = require('path').join(require('path').dirname(require('child_process').execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { encoding: 'utf8' }).trim()), 'tasks', 'BACKLOG.yaml'); fs.writeFileSync(p, fs.readFileSync(p, 'utf8').replace('{ id: T02, ', '{ id: T02, status: done, ')); }`;
    const { repo, roles } = project({ SCRIPT_RUN: JSON.stringify([[process.execPath, '-e', forge]]) });
    const result = await conductor(['implement'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('implement: warning: T02 is marked done in tasks/BACKLOG.yaml, but conductor never merged it: ignored, it stays pending (only conductor sets done, after its merge; for work done elsewhere, set skipped)');
    expect(roles().filter((r) => r === 'implementer')).toHaveLength(2);
    expect(sh(repo, 'ls-tree', '--name-only', 'conductor/demo', 'src/').split('\n').sort()).toEqual(['src/T01.ts', 'src/T02.ts', 'src/app.ts']);
    expect(states(repo)).toEqual(['T01:done', 'T02:done']);
  });

  it('a stale copy of BACKLOG.yaml saved over merged tasks does not roll them back', async () => {
    const { repo, roles } = project();
    expect((await conductor(['implement'], { cwd: repo })).exitCode).toBe(0);
    const calls = roles().length;
    writeFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), BACKLOG); // the editor buffer from before the run
    const again = await conductor(['implement'], { cwd: repo });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout.split('\n')[0]).toBe('2 tasks: 2 done');
    expect(again.stderr).toContain('implement: warning: T01 is set to pending in tasks/BACKLOG.yaml, but it is merged: kept done (a stale copy of the file?); to redo a merged task, give it a new id');
    expect(roles()).toHaveLength(calls); // no agent ran again
    expect(states(repo)).toEqual(['T01:done', 'T02:done']);
    // The ignored save is a typed event of the human's in each task's history, its state in data, not only a note.
    for (const id of ['T01', 'T02']) {
      const record = JSON.parse(readFileSync(join(repo, 'tasks', `${id}.status.json`), 'utf8')) as { status: string; history: object[] };
      expect(record.status).toBe('done');
      expect(record.history.at(-1)).toMatchObject({ from: 'done', to: 'done', kind: 'human', cause: 'stale-save-ignored', data: { written: 'pending' } });
    }
  });
});

describe('implement --only', () => {
  it('with an id that is not in the backlog is exit 2 with a did-you-mean, before anything runs', async () => {
    const { repo } = project();
    const typo = await conductor(['implement', '--only', 'T1'], { cwd: repo });
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toBe('conductor: --only names a task not in tasks/BACKLOG.yaml: T1\nhint: did you mean T01?');
    const unknown = await conductor(['implement', '--only', 'T02,T99'], { cwd: repo });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toBe('conductor: --only names a task not in tasks/BACKLOG.yaml: T99\nhint: its tasks are T01, T02');
    expect(sh(repo, 'branch', '--list', 'conductor/*')).toBe('');
  });
});
