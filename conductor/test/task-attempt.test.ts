import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runTaskAttempt } from '../src/phases/task-attempt.js';
import type { PhaseContext } from '../src/phases/call-role.js';
import { normalizeConfig } from '../src/config/load-config.js';
import { normalizeTask } from '../src/backlog/types.js';
import { WorktreeManager } from '../src/git/worktrees.js';
import { CONTEXT_COPY } from '../src/git/commit-work.js';
import { gitdir } from './helpers/dirs.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const node = process.execPath;

async function setup(edit: string, extra: { forbidden?: string[]; description?: string } = {}) {
  const repo = gitdir({ 'src/bucket.ts': 'export const x = 0;\n', 'check.js': 'const fs = require("fs"); const t = fs.readFileSync("src/bucket.ts", "utf8"); if (!t.includes("x = 1")) { console.error("expected x = 1 in src/bucket.ts"); process.exit(1) }', '.gitignore': 'worktrees/\n' });
  const config = normalizeConfig({ provider: 'scripted', providers: { scripted: { command: [node, SCRIPT], env: { SCRIPT_EDIT: edit } } } });
  const ctx: PhaseContext = { repoRoot: repo, conductorDir: join(repo, '.conductor'), runId: 'test-run', config, defaultProvider: 'scripted', report: () => undefined };
  const worktrees = new WorktreeManager(repo);
  await worktrees.ensureIntegration('demo', 'HEAD');
  const task = normalizeTask({ id: 'T01', title: 'Bucket', description: extra.description ?? 'Set x to 1.', acceptance: ['x is 1'], scope: { files_hint: ['src/bucket.ts'], forbidden: extra.forbidden ?? [] } });
  const input = { task, attempt: 1, integrationBranch: 'conductor/demo', worktrees, gates: [{ name: 'test', run: [node, 'check.js'] }], baselineFailures: new Set<string>() };
  return { repo, ctx, input };
}

describe('one task attempt', () => {
  it('runs the worker in its worktree, commits its change and passes the gates', async () => {
    const { repo, ctx, input } = await setup('src/bucket.ts=export const x = 1;');
    const outcome = await runTaskAttempt(ctx, input);
    expect(outcome).toMatchObject({ result: 'verified', branch: 'task/T01', files: ['src/bucket.ts'], negativeEvidence: [] });
    expect(outcome.gates.map((g) => [g.name, g.passed])).toEqual([['test', true]]);
    expect(readFileSync(join(repo, 'tasks', 'T01.context.md'), 'utf8')).toMatch(/^# Task T01: Bucket\n/);
    const wt = outcome.worktree;
    expect(execFileSync('git', ['log', '-1', '--format=%an|%s'], { cwd: wt, encoding: 'utf8' }).trim()).toBe('conductor|T01: Bucket (attempt 1)');
    expect(execFileSync('git', ['show', '--name-only', '--format=', 'HEAD'], { cwd: wt, encoding: 'utf8' }).trim()).toBe('src/bucket.ts'); // the context copy is not committed
    expect(existsSync(join(wt, CONTEXT_COPY))).toBe(true);
    expect(outcome.agent?.finalMessage).toBe('implemented T01 (attempt 1)\n');
  }, 30_000);

  it('fails an attempt that changed nothing', async () => {
    const { ctx, input } = await setup('');
    expect(await runTaskAttempt(ctx, input)).toMatchObject({ result: 'failed', reason: 'no changes', negativeEvidence: ['attempt 1: the worker changed no file; the task needs a change to its files'] });
  }, 30_000);

  it('fails a change to a forbidden path before any gate runs', async () => {
    const { ctx, input } = await setup('src/bucket.ts=export const x = 1;|src/db.sql=drop table users', { forbidden: ['src/*.sql'] });
    const outcome = await runTaskAttempt(ctx, input);
    expect(outcome).toMatchObject({ result: 'failed', reason: 'touched forbidden paths: src/db.sql', gates: [] });
    expect(outcome.negativeEvidence).toEqual(["Don't touch src/db.sql: attempt 1 changed them and was rejected"]);
  }, 30_000);

  it('turns a failing gate into negative evidence with its last lines', async () => {
    const { ctx, input } = await setup('src/bucket.ts=export const x = 2;');
    const outcome = await runTaskAttempt(ctx, input);
    expect(outcome).toMatchObject({ result: 'failed', reason: 'gates failed: test' });
    expect(outcome.negativeEvidence).toEqual(['attempt 1: gate test failed: expected x = 1 in src/bucket.ts']);
  }, 30_000);

  it('does not blame the worker for a gate that already failed on the base', async () => {
    const { ctx, input } = await setup('src/bucket.ts=export const x = 2;');
    expect(await runTaskAttempt(ctx, { ...input, baselineFailures: new Set(['test']) })).toMatchObject({ result: 'verified' });
  }, 30_000);

  it('holds the gates when the change touches CI or agent settings', async () => {
    const { ctx, input } = await setup('src/bucket.ts=export const x = 1;|.github/workflows/ci.yml=on: push');
    const outcome = await runTaskAttempt(ctx, input);
    expect(outcome).toMatchObject({ result: 'verified', reason: 'gates held until the reviewer approves the changes to .github/workflows/ci.yml', gates: [] });
    expect(outcome.scope?.flagged).toEqual(['.github/workflows/ci.yml']);
  }, 30_000);

  it('blocks a task whose context cannot fit, saying by how much', async () => {
    const { ctx, input } = await setup('src/bucket.ts=export const x = 1;', { description: 'x'.repeat(4000) });
    const outcome = await runTaskAttempt(ctx, input);
    expect(outcome.result).toBe('blocked');
    expect(outcome.reason).toMatch(/^its worker context is 4,\d{3} bytes, 1,\d{3} over the 3,072-byte budget even without optional sections$/);
  }, 30_000);
});
