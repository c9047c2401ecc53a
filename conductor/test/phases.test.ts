import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseFeatureRequest, slugify } from '../src/intake/feature-request.js';
import { extractYaml } from '../src/phases/backlog-phase.js';
import { validateBacklogText } from '../src/backlog/validate-backlog.js';
import { conductor, maskLogs } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { pidsWithMarker } from '../src/process/kill-group.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const HOLDER = fileURLToPath(new URL('./fixtures/hold-lock.mjs', import.meta.url));

const REQUEST = `# Feature Request: Rate Limiter

## User Story
As an API owner, I want rate limits.

## Problem Statement
One client can starve the others.

## Requirements
- limit each key

## Constraints
- Don't touch: src/db/**, migrations/**

## Success Criteria
- [ ] 429 when over
`;

/** A repository whose agent is the scripted command provider; env goes through the provider's own env. */
function project(env: Record<string, string> = {}) {
  const log = join(testdir(), 'prompts.jsonl');
  const config = `provider: scripted\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify({ SCRIPT_LOG: log, ...env })}\n`;
  const repo = gitdir({ 'conductor.config.yaml': config, 'feature-request.md': REQUEST, 'src/app.ts': 'export {};\n', 'package.json': '{"scripts":{"test":"vitest run"}}' });
  const prompts = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { role: string; attempt: number; prompt: string }) : []);
  return { repo, prompts };
}

describe('feature request intake', () => {
  it('derives the slug, names missing sections and reads "Don\'t touch"', () => {
    expect(parseFeatureRequest(REQUEST, 'x')).toMatchObject({ title: 'Rate Limiter', slug: 'rate-limiter', missingSections: [], dontTouch: ['src/db/**', 'migrations/**'] });
    expect(parseFeatureRequest('# Ünïcode: Fancy   Feature!\n\n## Requirements\n- x\n', 'x')).toMatchObject({ slug: 'unicode-fancy-feature', missingSections: ['User Story', 'Problem Statement', 'Constraints', 'Success Criteria'], dontTouch: [] });
    expect(slugify('  --  ')).toBe('');
  });

  it('refuses a directory for the request or the plan with exit 2, not as an internal error', async () => {
    const { repo, prompts } = project();
    const plan = await conductor(['plan', 'src'], { cwd: repo });
    expect(plan).toMatchObject({ exitCode: 2, stdout: '', stderr: 'conductor: src: is a directory, not a file\nhint: pass the path of your feature request, e.g. conductor plan feature-request.md' });
    const backlog = await conductor(['backlog', 'src'], { cwd: repo });
    expect(backlog).toMatchObject({ exitCode: 2, stdout: '', stderr: 'conductor: src: is a directory, not a file\nhint: pass the plan: conductor backlog path/to/PLAN.md' });
    expect(prompts()).toEqual([]);
  });

  it('refuses a request over its budget with exit 2, naming the size', async () => {
    const { repo } = project();
    writeFileSync(join(repo, 'big.md'), `# Big\n${'x'.repeat(6000)}\n`);
    const result = await conductor(['plan', 'big.md'], { cwd: repo });
    expect(result).toMatchObject({ exitCode: 2 });
    expect(result.stderr).toBe('conductor: big.md is 6,007 bytes, over the 5,120-byte budget for a feature request\nhint: keep it to the problem, requirements and constraints; link longer material by path');
  });
});

describe('conductor plan', () => {
  it('runs three planners on context.md only, then a merge session, writing the spec folder', async () => {
    const { repo, prompts } = project();
    const result = await conductor(['plan', 'feature-request.md'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    const dir = join(repo, 'specs', 'rate-limiter');
    for (const file of ['context.md', 'SPEC.md', 'ARCH.md', 'QA.md', 'PLAN.md']) expect(existsSync(join(dir, file)), file).toBe(true);
    const context = readFileSync(join(dir, 'context.md'), 'utf8');
    expect(context).toMatch(/^# Repository map\n/);
    expect(context).toContain('# Feature Request: Rate Limiter');
    const seen = prompts();
    expect(seen.map((p) => p.role).sort()).toEqual(['plan-merge', 'planner-arch', 'planner-qa', 'planner-spec']);
    for (const planner of seen.filter((p) => p.role.startsWith('planner-'))) {
      expect(planner.prompt).toContain(context.trimEnd());
      expect(planner.prompt).not.toContain('PLANNING-DEBRIS'); // no planner sees another's output
    }
    const merge = seen.find((p) => p.role === 'plan-merge')!;
    for (const role of ['planner-spec', 'planner-arch', 'planner-qa']) expect(merge.prompt).toContain(`PLANNING-DEBRIS-${role}`);
    expect(result.stdout).toBe('specs/rate-limiter/PLAN.md\nnext: review it, then run conductor backlog specs/rate-limiter/PLAN.md');
    // The user's checkout gains only the spec folder and the repo map; conductor's runtime files ignore themselves.
    expect(execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: repo, encoding: 'utf8' }).split('\n').filter(Boolean).sort()).toEqual([
      '?? docs/repo-map.md',
      '?? specs/rate-limiter/ARCH.md',
      '?? specs/rate-limiter/PLAN.md',
      '?? specs/rate-limiter/QA.md',
      '?? specs/rate-limiter/SPEC.md',
      '?? specs/rate-limiter/context.md',
    ]);
  });

  it('gives a failed planner one new session', async () => {
    const { repo, prompts } = project({ SCRIPT_FAIL_ONCE: 'planner-arch' });
    const result = await conductor(['plan', 'feature-request.md'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(maskLogs(result.stderr)).toContain('plan: planner-arch failed (exit code 1: scripted first-attempt failure of planner-arch; log: <call.log>); retrying in a new session');
    expect(prompts().filter((p) => p.role === 'planner-arch').map((p) => p.attempt)).toEqual([1, 2]);
  });

  it('stops on a second failure with a clear error, keeping the other documents', async () => {
    const { repo } = project({ SCRIPT_FAIL: 'planner-qa' });
    const result = await conductor(['plan', 'feature-request.md'], { cwd: repo });
    expect(result.exitCode).toBe(1);
    expect(maskLogs(result.stderr)).toContain('conductor: planning failed: planner-qa failed (exit code 1: scripted failure of planner-qa; log: <call.log>), twice\nhint: the other documents are kept in specs/rate-limiter/');
    expect(existsSync(join(repo, 'specs', 'rate-limiter', 'SPEC.md'))).toBe(true);
    expect(existsSync(join(repo, 'specs', 'rate-limiter', 'PLAN.md'))).toBe(false);
  });

  it('reports a merge that fails twice as a failed phase, not a bug, keeping the planners\' documents', async () => {
    const { repo, prompts } = project({ SCRIPT_FAIL: 'plan-merge' });
    const result = await conductor(['plan', 'feature-request.md'], { cwd: repo });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(maskLogs(result.stderr).split('\n').slice(-4)).toEqual([
      'plan: plan-merge failed (exit code 1: scripted failure of plan-merge; log: <call.log>); retrying in a new session',
      'plan: plan-merge failed (exit code 1: scripted failure of plan-merge; log: <call.log>)',
      'conductor: planning failed: plan-merge failed (exit code 1: scripted failure of plan-merge; log: <call.log>), twice',
      'hint: SPEC.md, ARCH.md and QA.md are kept in specs/rate-limiter/; fix the cause and run the plan again',
    ]);
    expect(result.stderr).not.toContain('bug');
    expect(prompts().filter((p) => p.role === 'plan-merge').map((p) => p.attempt)).toEqual([1, 2]);
    for (const file of ['SPEC.md', 'ARCH.md', 'QA.md']) expect(existsSync(join(repo, 'specs', 'rate-limiter', file)), file).toBe(true);
    expect(existsSync(join(repo, 'specs', 'rate-limiter', 'PLAN.md'))).toBe(false);
  });

  it('exits 3 naming the holder when another conductor holds the repository', async () => {
    const { repo } = project();
    const holder = execa(process.execPath, [HOLDER, join(repo, '.conductor')], { reject: false, stdin: 'ignore' });
    await new Promise((resolve) => holder.stdout!.once('data', resolve));
    try {
      const result = await conductor(['plan', 'feature-request.md'], { cwd: repo });
      expect(result.exitCode).toBe(3);
      expect(result.stderr).toMatch(new RegExp(`^conductor: another conductor \\(pid ${holder.pid}, "conductor run", since \\S+\\) holds this repository's lock\\nhint: wait for it to finish, or stop it; the lock is `));
    } finally {
      holder.kill('SIGTERM');
      await holder;
    }
  });
});

describe('conductor backlog', () => {
  it('feeds validation errors to a new session and writes a valid backlog with the request\'s forbidden paths', async () => {
    const { repo, prompts } = project({ SCRIPT_BAD_BACKLOG: '1' });
    expect((await conductor(['plan', 'feature-request.md'], { cwd: repo })).exitCode).toBe(0);
    const result = await conductor(['backlog'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('tasks/BACKLOG.yaml: 2 tasks\nnext: review tasks/BACKLOG.yaml (conductor validate checks hand edits)');
    const sessions = prompts().filter((p) => p.role === 'backlog');
    expect(sessions).toHaveLength(2);
    expect(sessions[0]!.prompt).not.toContain('rejected');
    expect(sessions[1]!.prompt).toContain('# Your previous answer was rejected — fix every one of these');
    expect(sessions[1]!.prompt).toContain('error unknown-key: unknown key "depends-on" in task T01 — did you mean "depends_on"?');
    expect(sessions[0]!.prompt).not.toContain('PLANNING-DEBRIS'); // the backlog sees PLAN.md, not the planners' documents
    const text = readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8');
    expect(text.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=.*backlog\.schema\.json$/);
    const backlog = validateBacklogText(text, 'f', { repoRoot: repo }).backlog!;
    expect(backlog.feature).toBe('rate-limiter');
    expect(backlog.tasks.map((t) => t.scope.forbidden)).toEqual([['src/db/**', 'migrations/**'], ['src/db/**', 'migrations/**']]);
    expect(readFileSync(join(repo, 'tasks', 'BACKLOG.md'), 'utf8')).toContain('- [ ] **T02** Middleware — pending (after T01)');
    expect(readFileSync(join(repo, 'specs', 'rate-limiter', 'BACKLOG.yaml'), 'utf8')).toBe(text);
    expect((await conductor(['validate'], { cwd: repo })).exitCode).toBe(0);
  });

  it('keeps the states of tasks that survive a re-plan and lists the changes', async () => {
    const { repo } = project();
    await conductor(['plan', 'feature-request.md'], { cwd: repo });
    await conductor(['backlog'], { cwd: repo });
    const path = join(repo, 'tasks', 'BACKLOG.yaml');
    writeFileSync(path, readFileSync(path, 'utf8').replace(/status: pending/, 'status: done'));
    const again = await conductor(['backlog'], { cwd: repo });
    expect(again.stdout).toContain('changes against the previous backlog: 0 added, 0 removed, 0 modified; states of kept tasks carried over');
    expect(validateBacklogText(readFileSync(path, 'utf8'), 'f').backlog!.tasks[0]!.status).toBe('done');
  });

  // Issue #13: before, the preambles and fences ended up in the documents and the backlog was rejected three times.
  it('takes documents and a backlog written as models often write them', async () => {
    const { repo, prompts } = project({ SCRIPT_SLOPPY: '1' });
    expect((await conductor(['plan', 'feature-request.md'], { cwd: repo })).exitCode).toBe(0);
    const dir = join(repo, 'specs', 'rate-limiter');
    expect(readFileSync(join(dir, 'SPEC.md'), 'utf8')).toBe('# planner-spec\n\nPLANNING-DEBRIS-planner-spec: explored three approaches.\n');
    expect(readFileSync(join(dir, 'PLAN.md'), 'utf8')).toMatch(/^# PLAN\n/);
    const result = await conductor(['backlog'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('backlog: session 1: put right in the reply: line 13 of the YAML: quoted the description\n');
    expect(prompts().filter((p) => p.role === 'backlog')).toHaveLength(1);
    const backlog = validateBacklogText(readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8'), 'f', { repoRoot: repo }).backlog!;
    expect(backlog.tasks[1]!.description).toBe('Answer 429 with Retry-After. Note: the header is in seconds.');
  });

  it('stops after three sessions and shows the errors', async () => {
    const { repo, prompts } = project({ SCRIPT_BAD_BACKLOG: '9' });
    await conductor(['plan', 'feature-request.md'], { cwd: repo });
    const result = await conductor(['backlog'], { cwd: repo });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/BACKLOG\.yaml:8:5 error unknown-key: unknown key "depends-on" in task T01 — did you mean "depends_on"\?\nconductor: no valid backlog after 3 sessions \(last reply saved in \.conductor\/sessions\/[0-9a-f-]{36}\/output\.md\)\n/);
    const sessions = prompts().filter((p) => p.role === 'backlog').map((p) => p.prompt);
    expect(new Set(sessions).size).toBe(3); // never the same prompt twice
  });

  it('extracts YAML from a fenced block or a bare reply', () => {
    expect(extractYaml('Sure!\n```yaml\nversion: 1\n```\nbye')).toBe('version: 1\n');
    expect(extractYaml('version: 1\n')).toBe('version: 1\n');
  });
});

describe('Ctrl-C', () => {
  it('stops every agent, frees the lock and exits 130', async () => {
    const { repo } = project({ SCRIPT_HANG: 'planner-spec' });
    const log = readFileSync(join(repo, 'conductor.config.yaml'), 'utf8').match(/"SCRIPT_LOG":"([^"]+)"/)![1]!;
    const child = execa(process.execPath, [fileURLToPath(new URL('../bin/conductor.js', import.meta.url)), 'plan', 'feature-request.md'], { cwd: repo, reject: false, stdin: 'ignore' });
    // Wait until the hanging planner is running.
    for (let i = 0; i < 100 && pidsWithMarker('SCRIPT_LOG', log).length < 1; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toContain('conductor: stopping — no new starts; agents get SIGTERM, then SIGKILL (again to force)');
    expect(result.stderr).toContain('conductor: interrupted; continue with: conductor plan feature-request.md');
    expect(existsSync(join(repo, '.conductor', 'lock'))).toBe(false);
    expect(pidsWithMarker('SCRIPT_LOG', log)).toEqual([]);
  });
});
