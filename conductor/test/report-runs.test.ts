// Issue #15: `conductor report` sees more than the live tasks/: an earlier run
// (its files archived to .conductor/runs/<id>/ when the next one started) and
// every spec of a factory run that built several.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../src/report/run-report.js';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const request = (name: string) => `# Feature Request: ${name}\n\n## User Story\nx\n## Problem Statement\nx\n## Requirements\n- x\n## Constraints\n- x\n## Success Criteria\n- [ ] x\n`;
const sh = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', ...args], { cwd, encoding: 'utf8' }).trim();

function configText(log: string, extraEnv: Record<string, string> = {}): string {
  const env = { SCRIPT_LOG: log, SCRIPT_EDIT: 'src/{task}-attempt.ts=export const written = "{task} {attempt}";', ...extraEnv };
  return `provider: scripted\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify(env)}\n`;
}

async function jsonReport(repo: string, ...args: string[]): Promise<RunReport> {
  const result = await conductor(['report', '--json', ...args], { cwd: repo });
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as RunReport;
}

describe('conductor report beyond the live run', () => {
  it('reports an earlier run from its archived records, and every spec of a multi-spec factory run', async () => {
    const log = join(testdir(), 'prompts.jsonl');
    // The first run's T02 needs two attempts; the second run's tasks one each.
    const repo = gitdir({ 'conductor.config.yaml': configText(log, { SCRIPT_VERDICT_T02: 'changes,approve' }), 'rate-limiter.md': request('Rate Limiter'), 'audit-log.md': request('Audit Log'), 'src/app.ts': 'export {};\n', '.gitignore': 'worktrees/\n.conductor/\n' });
    expect((await conductor(['run', 'rate-limiter.md', '--yes'], { cwd: repo })).exitCode).toBe(0);
    const firstRun = (JSON.parse(readFileSync(join(repo, '.conductor', 'run.json'), 'utf8')) as { runId: string }).runId;
    writeFileSync(join(repo, 'conductor.config.yaml'), configText(log));
    expect((await conductor(['run', 'audit-log.md', '--yes'], { cwd: repo })).exitCode).toBe(0);

    // Soft: each of the two reports is checked even when the other is wrong.
    const earlier = await jsonReport(repo, '--run', firstRun.slice(0, 8));
    expect.soft(earlier.tasks.map((t) => [t.id, t.state, t.attempts])).toEqual([['T01', 'done', 1], ['T02', 'done', 2]]);
    expect((await jsonReport(repo)).tasks.map((t) => [t.id, t.state, t.attempts])).toEqual([['T01', 'done', 1], ['T02', 'done', 1]]);

    sh(repo, 'add', 'specs', 'conductor.config.yaml');
    sh(repo, 'commit', '-qm', 'specs');
    const factory = await conductor(['factory', '--all'], { cwd: repo });
    expect(factory.exitCode, factory.stderr).toBe(0);
    const both = await jsonReport(repo);
    // Each spec's tasks with their own calls (the second spec builds on the first, so its attempts differ).
    expect.soft(both.tasks.map((t) => [t.id, t.state])).toEqual([['audit-log:T01', 'done'], ['audit-log:T02', 'done'], ['rate-limiter:T01', 'done'], ['rate-limiter:T02', 'done']]);
    expect(both.tasks.map((t) => t.calls)).toEqual(both.tasks.map((t) => t.attempts + 1));
  }, 180_000);
});
