// Issue #15: a repository lives through many runs. `run` where `resume` was
// meant never destroys a human's review, and a second feature never inherits
// the first one's task states.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
const request = (name: string) => `# Feature Request: ${name}\n\n## User Story\nx\n## Problem Statement\nx\n## Requirements\n- x\n## Constraints\n- x\n## Success Criteria\n- [ ] x\n`;

function project() {
  const log = join(testdir(), 'prompts.jsonl');
  const config = `provider: scripted\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify({ SCRIPT_LOG: log, SCRIPT_EDIT: 'src/{task}-attempt.ts=export const written = "{task} {attempt}";' })}\n`;
  const repo = gitdir({ 'conductor.config.yaml': config, 'rate-limiter.md': request('Rate Limiter'), 'audit-log.md': request('Audit Log'), 'src/app.ts': 'export {};\n', '.gitignore': 'worktrees/\n.conductor/\n' });
  const roles = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { role: string }).role) : []);
  return { repo, roles };
}

describe('conductor run on a repository whose last run is not finished', () => {
  it('refuses with exit 2 and names conductor resume, leaving the human\'s edited backlog alone', async () => {
    const { repo, roles } = project();
    expect((await conductor(['run', 'rate-limiter.md'], { cwd: repo })).stdout).toContain('paused at the backlog checkpoint');
    const path = join(repo, 'tasks', 'BACKLOG.yaml');
    const reviewed = `# reviewed by a human\n${readFileSync(path, 'utf8').replace('title: Token bucket module', 'title: Token bucket, reviewed')}`;
    writeFileSync(path, reviewed);
    const calls = roles().length;
    const again = await conductor(['run', 'rate-limiter.md'], { cwd: repo });
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toBe('conductor: the run of "rate-limiter" is not finished: it is paused at the backlog checkpoint; conductor run would start over\nhint: continue it with: conductor resume — or start over with: conductor run rate-limiter.md --restart (its files move to .conductor/runs/; its branches and specs stay)');
    expect(readFileSync(path, 'utf8')).toBe(reviewed);
    expect(roles()).toHaveLength(calls);
  });

  it('starts over with --restart, keeping the earlier run\'s files under .conductor/runs/', async () => {
    const { repo } = project();
    await conductor(['run', 'rate-limiter.md'], { cwd: repo });
    const runId = (JSON.parse(readFileSync(join(repo, '.conductor', 'run.json'), 'utf8')) as { runId: string }).runId;
    const old = readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8');
    const restarted = await conductor(['run', 'rate-limiter.md', '--restart'], { cwd: repo });
    expect(restarted.exitCode, restarted.stderr).toBe(0);
    expect(restarted.stderr).toContain(`run: the earlier run of "rate-limiter" (paused) is kept in .conductor/runs/${runId}/; this run starts with no tasks of its own yet`);
    expect(readFileSync(join(repo, '.conductor', 'runs', runId, 'tasks', 'BACKLOG.yaml'), 'utf8')).toBe(old);
    expect(existsSync(join(repo, '.conductor', 'runs', runId, 'run.json'))).toBe(true);
  });
});

describe('a second feature in the same repository', () => {
  it('builds its own tasks from scratch, though they are numbered from T01 too', async () => {
    const { repo, roles } = project();
    const first = await conductor(['run', 'rate-limiter.md', '--yes'], { cwd: repo });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(roles().filter((r) => r === 'implementer')).toHaveLength(2);
    const second = await conductor(['run', 'audit-log.md', '--yes'], { cwd: repo });
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stderr).not.toContain('states of kept tasks carried over');
    expect(roles().filter((r) => r === 'implementer')).toHaveLength(4);
    expect(second.stdout).toBe('2 tasks: 2 done\nall merged into conductor/audit-log; merge it into your branch with: git merge conductor/audit-log');
    expect(sh(repo, 'rev-parse', 'conductor/audit-log')).not.toBe(sh(repo, 'rev-parse', 'main'));
    expect(sh(repo, 'diff', '--name-only', 'main', 'conductor/audit-log').split('\n').filter((f) => f.startsWith('src/')).sort()).toEqual(['src/T01-attempt.ts', 'src/T02-attempt.ts']);
  });
});
