import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { normalizeConfig } from '../src/config/load-config.js';
import type { GateConfig } from '../src/config/types.js';
import { normalizeTask } from '../src/backlog/types.js';
import { WorktreeManager } from '../src/git/worktrees.js';
import type { PhaseContext } from '../src/phases/call-role.js';
import { reviewAttempt } from '../src/phases/review-attempt.js';
import { runTaskAttempt } from '../src/phases/task-attempt.js';
import { gitdir, testdir } from './helpers/dirs.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));

async function verifiedWork(verdict: string, edit = 'src/bucket.ts=export const x = 1;', base: { files?: Record<string, string>; gates?: GateConfig[]; failing?: string[] } = {}) {
  const log = join(testdir(), 'prompts.jsonl');
  const repo = gitdir({ 'src/bucket.ts': 'export const x = 0;\n', '.gitignore': 'worktrees/\n', ...base.files });
  const config = normalizeConfig({ provider: 'scripted', providers: { scripted: { command: [process.execPath, SCRIPT], env: { SCRIPT_LOG: log, SCRIPT_EDIT: edit, SCRIPT_VERDICT: verdict } } } });
  const ctx: PhaseContext = { repoRoot: repo, conductorDir: join(repo, '.conductor'), runId: 'test-run', config, defaultProvider: 'scripted', report: () => undefined };
  const worktrees = new WorktreeManager(repo);
  await worktrees.ensureIntegration('demo', 'HEAD');
  const task = normalizeTask({ id: 'T01', title: 'Bucket', description: 'Set x to 1.', acceptance: ['x is 1', 'nothing else changes'], scope: { files_hint: ['src/bucket.ts'] } });
  const work = await runTaskAttempt(ctx, { task, attempt: 1, integrationBranch: 'conductor/demo', worktrees, gates: [{ name: 'test', run: [process.execPath, '-e', 'process.exit(0)'] }, ...(base.gates ?? [])], baselineFailures: new Set(base.failing) });
  expect(work.result).toBe('verified');
  const prompts = () => readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { role: string; prompt: string }).filter((p) => p.role === 'reviewer');
  return { repo, ctx, task, work, prompts };
}

describe('reviewing an attempt', () => {
  it('shows the reviewer only acceptance, diff and gates, and saves its verdict', async () => {
    const { repo, ctx, task, work, prompts } = await verifiedWork('approve');
    const review = await reviewAttempt(ctx, task, 1, work);
    expect(review).toMatchObject({ ok: true, verdict: { verdict: 'approve', summary: 'scripted approve' } });
    const saved = JSON.parse(readFileSync(join(repo, 'tasks', 'T01.review.json'), 'utf8')) as { verdict: string; attempt: number };
    expect(saved).toMatchObject({ verdict: 'approve', attempt: 1 });
    const [prompt] = prompts().map((p) => p.prompt);
    expect(prompt).toContain('## Acceptance criteria\n- x is 1\n- nothing else changes');
    expect(prompt).toContain('- test: passed');
    expect(prompt).toContain('+export const x = 1;');
    expect(prompt).not.toContain('implemented T01'); // the worker's own account never reaches the reviewer
    expect(prompt).not.toContain('Set x to 1.'); // nor the task's description: only its acceptance criteria
  });

  it("shows the reviewer what failed in a gate already failing on the base: the assertion, not node:test's stack", async () => {
    const files = { 'test/old.test.js': "const test = require('node:test');\nconst assert = require('node:assert');\ntest('old check', () => assert.strictEqual(1, 2));\n" };
    const { ctx, task, work, prompts } = await verifiedWork('approve', undefined, { files, gates: [{ name: 'unit', run: [process.execPath, '--test', '--test-reporter=tap'] }], failing: ['unit'] });
    await reviewAttempt(ctx, task, 1, work, new Set(['unit']));
    const [prompt] = prompts().map((p) => p.prompt);
    expect(prompt).toContain('- unit: FAILED (already failing before this task)\n```\n✗ old check (test/old.test.js:3:32)\n  AssertionError: Expected values to be strictly equal:\n  1 !== 2\n  expected: 2\n  actual:   1\n```');
    expect(prompt).not.toContain('node:internal');
  });

  it('asks a new session once when the reply is not a verdict', async () => {
    const { ctx, task, work, prompts } = await verifiedWork('garbage-once');
    expect(await reviewAttempt(ctx, task, 1, work)).toMatchObject({ ok: true, verdict: { verdict: 'approve' } });
    expect(prompts()).toHaveLength(2);
  });

  it('asks again, telling each new session what was wrong, then gives up with the saved reply', async () => {
    const { repo, ctx, task, work, prompts } = await verifiedWork('garbage');
    const review = await reviewAttempt(ctx, task, 1, work);
    expect(review).toMatchObject({ ok: false, reason: "the reviewer's reply was not a valid verdict: the reply holds no JSON object", reply: expect.stringMatching(/^\.conductor\/sessions\/[0-9a-f-]{36}\/output\.md$/) });
    expect(readFileSync(join(repo, (review as { reply: string }).reply), 'utf8')).toBe('Looks fine to me!');
    expect(existsSync(join(repo, 'tasks', 'T01.review.json'))).toBe(false);
    // review.formatRetries (2) new sessions, each prompt different: the problem and the session number.
    const sent = prompts().map((p) => p.prompt);
    expect(sent).toHaveLength(3);
    expect(new Set(sent).size).toBe(3);
    expect(sent[0]).not.toContain('could not be used');
    expect(sent[1]).toContain('## Your previous reply could not be used\n\nThis is reviewer session 2 of 3 for this change. The reply of the session before could not be used: the reply holds no JSON object.\nIt began:\n\n```text\nLooks fine to me!\n```');
    expect(sent[2]).toContain('This is reviewer session 3 of 3');
  });

  it('asks no new session when review.formatRetries is 0', async () => {
    const { ctx, task, work, prompts } = await verifiedWork('garbage');
    const review = await reviewAttempt({ ...ctx, config: { ...ctx.config, review: { formatRetries: 0 } } }, task, 1, work);
    expect(review.ok).toBe(false);
    expect(prompts()).toHaveLength(1);
  });

  it('takes an approval as models often write it, and keeps the keys it does not know aside', async () => {
    const { repo, ctx, task, work, prompts } = await verifiedWork('terse');
    expect(await reviewAttempt(ctx, task, 1, work)).toMatchObject({ ok: true, verdict: { verdict: 'approve', summary: 'looks good', required_changes: [], negative_evidence: [] } });
    expect(prompts()).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(repo, 'tasks', 'T01.review.json'), 'utf8'))).toMatchObject({ verdict: 'approve', ignored: { confidence: 0.9 }, reply: expect.stringMatching(/output\.md$/) });
  });

  it('returns the required changes of a "changes" verdict', async () => {
    const { ctx, task, work } = await verifiedWork('changes');
    expect(await reviewAttempt(ctx, task, 1, work)).toMatchObject({ ok: true, verdict: { verdict: 'changes', required_changes: ['handle a refill at zero'] } });
  });
});
