import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { maskLogs } from './helpers/cli.js';
import { describe, expect, it } from 'vitest';
import { runTaskAttempt } from '../src/phases/task-attempt.js';
import { lostRequirement } from '../src/phases/prepare-context.js';
import type { PhaseContext } from '../src/phases/call-role.js';
import { normalizeConfig } from '../src/config/load-config.js';
import { normalizeTask } from '../src/backlog/types.js';
import { WorktreeManager } from '../src/git/worktrees.js';
import { CONTEXT_COPY } from '../src/git/commit-work.js';
import { gitdir } from './helpers/dirs.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const node = process.execPath;

async function setup(edit: string, extra: { forbidden?: string[]; description?: string; env?: Record<string, string> } = {}) {
  const repo = gitdir({ 'src/bucket.ts': 'export const x = 0;\n', 'check.js': 'const fs = require("fs"); const t = fs.readFileSync("src/bucket.ts", "utf8"); if (!t.includes("x = 1")) { console.error("expected x = 1 in src/bucket.ts"); process.exit(1) }', '.gitignore': 'worktrees/\n' });
  const config = normalizeConfig({ provider: 'scripted', providers: { scripted: { command: [node, SCRIPT], env: { SCRIPT_EDIT: edit, ...extra.env } } } });
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
  });

  it('fails an attempt that changed nothing', async () => {
    const { ctx, input } = await setup('');
    expect(await runTaskAttempt(ctx, input)).toMatchObject({ result: 'failed', reason: 'no changes', negativeEvidence: ['attempt 1: the worker changed no file; the task needs a change to its files'] });
  });

  it('fails a change to a forbidden path before any gate runs', async () => {
    const { ctx, input } = await setup('src/bucket.ts=export const x = 1;|src/db.sql=drop table users', { forbidden: ['src/*.sql'] });
    const outcome = await runTaskAttempt(ctx, input);
    expect(outcome).toMatchObject({ result: 'failed', reason: 'touched forbidden paths: src/db.sql', gates: [] });
    expect(outcome.negativeEvidence).toEqual(["Don't touch src/db.sql: attempt 1 changed them and was rejected"]);
  });

  it('turns a failing gate into negative evidence with its last lines', async () => {
    const { ctx, input } = await setup('src/bucket.ts=export const x = 2;');
    const outcome = await runTaskAttempt(ctx, input);
    expect(outcome).toMatchObject({ result: 'failed', reason: 'gates failed: test' });
    expect(outcome.negativeEvidence).toEqual(['attempt 1: gate test failed: expected x = 1 in src/bucket.ts']);
  });

  it('does not blame the worker for a gate that already failed on the base', async () => {
    const { ctx, input } = await setup('src/bucket.ts=export const x = 2;');
    expect(await runTaskAttempt(ctx, { ...input, baselineFailures: new Set(['test']) })).toMatchObject({ result: 'verified' });
  });

  it('holds the gates when the change touches CI or agent settings', async () => {
    const { ctx, input } = await setup('src/bucket.ts=export const x = 1;|.github/workflows/ci.yml=on: push');
    const outcome = await runTaskAttempt(ctx, input);
    expect(outcome).toMatchObject({ result: 'verified', reason: 'gates held until the reviewer approves the changes to .github/workflows/ci.yml', gates: [] });
    expect(outcome.scope?.flagged).toEqual(['.github/workflows/ci.yml']);
  });

  describe('a context over budget', () => {
    const long = { description: 'x'.repeat(4000) };
    const over = 'its worker context is 4,106 bytes, 1,034 over the 3,072-byte budget even without optional sections';
    const roles = (log: string) => readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { role: string; prompt: string });
    const short = '# Task T01: Bucket\n\nType: code\n\n## What to do\nSet x to 1 (the long description, compressed).\n\n## Acceptance criteria\n- x is 1\n\n## Files\n- src/bucket.ts\n';

    it('goes to the compressor, whose version the worker gets', async () => {
      const log = join(gitdir({}), 'agent.jsonl');
      const { repo, ctx, input } = await setup('src/bucket.ts=export const x = 1;', { ...long, env: { SCRIPT_COMPRESSED: `\`\`\`markdown\n${short}\`\`\`\n`, SCRIPT_LOG: log } });
      const outcome = await runTaskAttempt(ctx, input);
      expect(outcome).toMatchObject({ result: 'verified', contextBytes: Buffer.byteLength(short) });
      expect(readFileSync(join(repo, 'tasks', 'T01.context.md'), 'utf8')).toBe(short);
      const [compressor, implementer] = roles(log);
      expect(compressor!.role).toBe('compressor');
      expect(compressor!.prompt).toContain('Compress this task context to under 3072 bytes (it is 4106 bytes now).\n\n# Task T01: Bucket\n');
      expect(compressor!.prompt).toContain('x'.repeat(4000));
      expect(implementer!.role).toBe('implementer');
      expect(implementer!.prompt).toContain(short);
      expect(implementer!.prompt).not.toContain('xxxxxxxxxx');
    });

    it('blocks the task when the compressor cannot bring it under budget', async () => {
      const log = join(gitdir({}), 'agent.jsonl');
      const { ctx, input } = await setup('src/bucket.ts=export const x = 1;', { ...long, env: { SCRIPT_COMPRESSED: 'echo', SCRIPT_LOG: log } });
      expect(await runTaskAttempt(ctx, input)).toMatchObject({ result: 'blocked', reason: expect.stringMatching(new RegExp(`^${escape(`${over}; the compressor's version is 4,106 bytes, still 1,034 over (reply saved in .conductor/sessions/`)}[0-9a-f-]{36}/output\\.md\\)$`)) });
      expect(roles(log).map((call) => call.role)).toEqual(['compressor']);
    });

    it('blocks the task when the compressor drops an acceptance criterion', async () => {
      const { ctx, input } = await setup('src/bucket.ts=export const x = 1;', { ...long, env: { SCRIPT_COMPRESSED: short.replace('- x is 1\n', '- x is set\n') } });
      expect(await runTaskAttempt(ctx, input)).toMatchObject({ result: 'blocked', reason: expect.stringMatching(new RegExp(`^${escape(`${over}; the compressor's version left out acceptance criterion "x is 1" (reply saved in .conductor/sessions/`)}[0-9a-f-]{36}/output\\.md\\)$`)) });
    });

    it('blocks the task when the compressor fails', async () => {
      const { repo, ctx, input } = await setup('src/bucket.ts=export const x = 1;', { ...long, env: { SCRIPT_FAIL: 'compressor' } });
      const outcome = await runTaskAttempt(ctx, input);
      expect({ ...outcome, reason: maskLogs(outcome.reason ?? '') }).toMatchObject({ result: 'blocked', reason: `${over}; the compressor failed: exit code 1: scripted failure of compressor; log: <call.log>` });
      expect(existsSync(join(repo, 'tasks', 'T01.context.md'))).toBe(false);
    });
  });
});

describe('what a compressed context must keep', () => {
  const task = normalizeTask({ id: 'T07', title: 'Retry  header', description: 'd', acceptance: ['answers 429', 'sets Retry-After to the wait in seconds'], scope: { files_hint: ['a.ts'] } });
  it('accepts any wrapping of the same words', () => {
    expect(lostRequirement('# T07: Retry header\n- answers 429\n- sets Retry-After\n  to the wait in seconds\n', task)).toBeUndefined();
  });
  it('names the first thing left out', () => {
    expect(lostRequirement('# Task: Retry header\n', task)).toBe('the task id T07');
    expect(lostRequirement('# T07: Retry\n', task)).toBe('the title "Retry  header"');
    expect(lostRequirement('# T07: Retry header\n- answers 429\n- sets Retry-After\n', task)).toBe('acceptance criterion "sets Retry-After to the wait in seconds"');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
