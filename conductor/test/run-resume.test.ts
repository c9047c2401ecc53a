import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backlog, task } from './helpers/backlogs.js';
import { conductor } from './helpers/cli.js';
import { validateBacklogText } from '../src/backlog/validate-backlog.js';
import { gitdir, testdir } from './helpers/dirs.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const REQUEST = '# Feature Request: Rate Limiter\n\n## User Story\nx\n## Problem Statement\nx\n## Requirements\n- x\n## Constraints\n- Don\'t touch: src/db/**\n## Success Criteria\n- [ ] x\n';

let promptLog = '';

/** The scripted agent as a command provider, logging every prompt it gets to `log`. */
const scriptedProvider = (log: string) => `\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify({ SCRIPT_LOG: log, SCRIPT_EDIT: 'src/{task}.ts=export const done = true;' })}\n`;

function project(extraConfig = '') {
  promptLog = join(testdir(), 'prompts.jsonl');
  return gitdir({ 'conductor.config.yaml': `provider: scripted\nproviders:\n  scripted:${scriptedProvider(promptLog)}${extraConfig}`, 'feature-request.md': REQUEST, 'src/app.ts': 'export {};\n' });
}

/** A config whose provider, roles and routing rule all send calls to `elsewhere`; `providers` follows. */
const routedTo = (elsewhere: string) => `provider: ${elsewhere}
roles:
  planner-spec: { provider: ${elsewhere}, model: big-planner }
  plan-merge: { provider: ${elsewhere} }
  backlog: { provider: ${elsewhere} }
  reviewer: { provider: ${elsewhere}, model: big-reviewer }
routing:
  - match: { keyword: middleware }
    use: { provider: ${elsewhere}, model: big-worker }
`;

/** Route T01 to `elsewhere` by its own `agent` field, as a hand edit at the backlog checkpoint would. */
function routeTaskTo(repo: string, elsewhere: string) {
  const path = join(repo, 'tasks', 'BACKLOG.yaml');
  writeFileSync(path, readFileSync(path, 'utf8').replace('  - id: T01\n', `  - id: T01\n    agent: { provider: ${elsewhere}, model: task-model }\n`));
}

const ledger = (repo: string) => readFileSync(join(repo, '.conductor', 'sessions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { role: string; provider: string; model?: string });
const ALL_CALLS = ['backlog', 'implementer', 'implementer', 'plan-merge', 'planner-arch', 'planner-qa', 'planner-spec', 'reviewer', 'reviewer'];

describe('conductor run and resume', () => {
  it('pauses at the backlog checkpoint with exit 0, naming the file to review', async () => {
    const repo = project();
    const result = await conductor(['run', 'feature-request.md'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('paused at the backlog checkpoint: review tasks/BACKLOG.yaml (edit them as you like), then run conductor resume');
    expect(JSON.parse(readFileSync(join(repo, '.conductor', 'run.json'), 'utf8'))).toMatchObject({ slug: 'rate-limiter', phase: 'backlog', state: 'paused', checkpoint: 'backlog' });
  });

  it('re-validates a hand edit on resume: an invalid one exits 2 with its location and is not overwritten', async () => {
    const repo = project();
    await conductor(['run', 'feature-request.md'], { cwd: repo });
    const path = join(repo, 'tasks', 'BACKLOG.yaml');
    const broken = readFileSync(path, 'utf8').replace('depends_on:\n      - T01', 'depends_on:\n      - T09');
    writeFileSync(path, broken);
    const result = await conductor(['resume'], { cwd: repo });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^tasks\/BACKLOG\.yaml:\d+:\d+ error unknown-dependency: task T02 depends on "T09", which is not a task in this backlog/);
    expect(result.stderr).toContain('conductor: tasks/BACKLOG.yaml is not valid; nothing was changed\nhint: fix it, then run conductor resume again');
    expect(readFileSync(path, 'utf8')).toBe(broken);
  });

  it('honours a hand edit with comments and human states on resume, then implements', async () => {
    const repo = project();
    await conductor(['run', 'feature-request.md'], { cwd: repo });
    const path = join(repo, 'tasks', 'BACKLOG.yaml');
    const edited = readFileSync(path, 'utf8').replace(/(id: T02\n(?:.*\n)*?\s+status: )pending/, '$1skipped # not this time');
    writeFileSync(path, edited);
    const result = await conductor(['resume'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('2 tasks: 1 done, 1 skipped\nall merged into conductor/rate-limiter; merge it into your branch with: git merge conductor/rate-limiter');
    const after = readFileSync(path, 'utf8');
    expect(after).toContain('status: skipped # not this time');
    expect(validateBacklogText(after, 'f').backlog!.tasks.map((t) => t.status)).toEqual(['done', 'skipped']);
  });

  it('pauses after planning too when configured, then resumes into the backlog', async () => {
    const repo = project('checkpoints: [plan, backlog]\n');
    const first = await conductor(['run', 'feature-request.md'], { cwd: repo });
    expect(first.stdout).toBe('paused at the plan checkpoint: review specs/rate-limiter/SPEC.md, specs/rate-limiter/ARCH.md, specs/rate-limiter/QA.md, specs/rate-limiter/PLAN.md (edit them as you like), then run conductor resume');
    writeFileSync(join(repo, 'specs', 'rate-limiter', 'PLAN.md'), readFileSync(join(repo, 'specs', 'rate-limiter', 'PLAN.md'), 'utf8') + '\nHuman note: keep it small.\n');
    const second = await conductor(['resume'], { cwd: repo });
    expect(second.stdout).toBe('paused at the backlog checkpoint: review tasks/BACKLOG.yaml (edit them as you like), then run conductor resume');
    expect(readFileSync(promptLog, 'utf8')).toContain('Human note: keep it small.'); // the backlog session saw the human's edit
  });

  it('skips every checkpoint with --yes and goes on into implementation', async () => {
    const repo = project('checkpoints: [plan, backlog]\n');
    const result = await conductor(['run', 'feature-request.md', '--yes'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('2 tasks: 2 done\nall merged into conductor/rate-limiter; merge it into your branch with: git merge conductor/rate-limiter');
  });

  it('refuses a repository with no commit with exit 2, before any agent runs', async () => {
    const repo = project();
    execFileSync('git', ['update-ref', '-d', 'HEAD'], { cwd: repo }); // HEAD unborn: a fresh `git init`
    const refused = 'conductor: the repository has no commit yet; conductor builds on one\nhint: commit your files first: git add -A && git commit -m "Initial commit"';
    const run = await conductor(['run', 'feature-request.md', '--yes'], { cwd: repo });
    expect(run).toMatchObject({ exitCode: 2, stdout: '', stderr: refused });
    expect(existsSync(promptLog)).toBe(false);
    mkdirSync(join(repo, 'tasks'));
    writeFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), backlog(task('T01')));
    const implement = await conductor(['implement'], { cwd: repo });
    expect(implement).toMatchObject({ exitCode: 2, stdout: '', stderr: refused });
    expect(existsSync(promptLog)).toBe(false);
  });

  it('says there is nothing to resume when no run was started', async () => {
    const result = await conductor(['resume'], { cwd: project() });
    expect(result).toMatchObject({ exitCode: 2, stderr: 'conductor: there is no run to resume here\nhint: start one with conductor run <feature-request.md>' });
  });
});

describe('--record and --replay', () => {
  it('records every session of a run and replays it elsewhere without an agent, to the same documents', async () => {
    const first = project();
    const rec = join(testdir(), 'recording');
    const recorded = await conductor(['run', 'feature-request.md', '--yes', '--record', rec], { cwd: first });
    expect(recorded.exitCode, recorded.stderr).toBe(0);
    const files = readdirSync(rec).sort();
    expect(files).toEqual(expect.arrayContaining(['backlog--_--a1--1.json', 'plan-merge--_--a1--1.json', 'planner-arch--_--a1--1.json', 'planner-qa--_--a1--1.json', 'planner-spec--_--a1--1.json', 'implementer--T01--a1--1.json', 'reviewer--T01--a1--1.json']));

    const second = gitdir({ 'conductor.config.yaml': 'provider: gone\nproviders:\n  gone: { command: ["no-such-agent-anywhere"] }\n', 'feature-request.md': REQUEST, 'src/app.ts': 'export {};\n' });
    const replayed = await conductor(['run', 'feature-request.md', '--yes', '--replay', rec], { cwd: second });
    expect(replayed.exitCode, replayed.stderr).toBe(0);
    for (const file of ['SPEC.md', 'ARCH.md', 'QA.md', 'PLAN.md', 'BACKLOG.yaml']) {
      expect(readFileSync(join(second, 'specs', 'rate-limiter', file), 'utf8'), file).toBe(readFileSync(join(first, 'specs', 'rate-limiter', file), 'utf8'));
    }
  });

  it('rejects --replay with another --provider with exit 2', async () => {
    const result = await conductor(['plan', 'feature-request.md', '--replay', 'rec', '--provider', 'scripted'], { cwd: project() });
    expect(result).toMatchObject({ exitCode: 2, stdout: '', stderr: 'conductor: --replay and --provider scripted both choose the provider of every call\nhint: pass one of them' });
  });

  it('rejects an unknown --provider with exit 2', async () => {
    const result = await conductor(['plan', 'feature-request.md', '--provider', 'clade'], { cwd: project() });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('conductor: unknown provider "clade"');
  });
});

describe('a provider chosen on the command line', () => {
  it('--provider takes every call of the run, over roles, routing rules and a task\'s agent, and drops their models', async () => {
    promptLog = join(testdir(), 'prompts.jsonl');
    const providers = `providers:\n  broken: { command: ["false"] }\n  scripted:${scriptedProvider(promptLog)}`;
    const repo = gitdir({ 'conductor.config.yaml': `${routedTo('broken')}${providers}`, 'feature-request.md': REQUEST, 'src/app.ts': 'export {};\n' });
    const planned = await conductor(['run', 'feature-request.md', '--provider', 'scripted'], { cwd: repo });
    expect(planned.exitCode, planned.stderr).toBe(0);
    expect(planned.stdout).toBe('paused at the backlog checkpoint: review tasks/BACKLOG.yaml (edit them as you like), then run conductor resume');
    routeTaskTo(repo, 'broken');
    const done = await conductor(['resume', '--provider', 'scripted'], { cwd: repo });
    expect(done.exitCode, done.stderr).toBe(0);
    expect(done.stdout).toBe('2 tasks: 2 done\nall merged into conductor/rate-limiter; merge it into your branch with: git merge conductor/rate-limiter');
    const calls = ledger(repo);
    expect(calls.map((c) => c.role).sort()).toEqual(ALL_CALLS);
    expect(calls.filter((c) => c.provider !== 'scripted' || c.model !== undefined)).toEqual([]);
    expect(readFileSync(promptLog, 'utf8').trim().split('\n')).toHaveLength(ALL_CALLS.length);
    // The spec records what the run really used.
    expect(JSON.parse(readFileSync(join(repo, 'specs', 'rate-limiter', 'spec.json'), 'utf8')).roles['planner-spec']).toEqual({ provider: 'scripted' });
  });

  it('--replay never reaches an agent the config routes roles, rules or tasks to', async () => {
    const first = project();
    const rec = join(testdir(), 'recording');
    expect((await conductor(['run', 'feature-request.md', '--yes', '--record', rec], { cwd: first })).exitCode).toBe(0);

    // An agent that would answer, so a call leaking past the replay would go unnoticed but for its log.
    const leaked = join(testdir(), 'leaked.jsonl');
    const second = gitdir({ 'conductor.config.yaml': `${routedTo('real')}providers:\n  real:${scriptedProvider(leaked)}`, 'feature-request.md': REQUEST, 'src/app.ts': 'export {};\n' });
    const planned = await conductor(['run', 'feature-request.md', '--replay', rec], { cwd: second });
    expect(planned.exitCode, planned.stderr).toBe(0);
    routeTaskTo(second, 'real');
    const done = await conductor(['resume', '--replay', rec], { cwd: second });
    expect(done.exitCode, done.stderr).toBe(0);
    expect(done.stdout).toBe('2 tasks: 2 done\nall merged into conductor/rate-limiter; merge it into your branch with: git merge conductor/rate-limiter');
    expect(existsSync(leaked)).toBe(false);
    const calls = ledger(second);
    expect(calls.map((c) => c.role).sort()).toEqual(ALL_CALLS);
    expect(calls.filter((c) => c.provider !== 'replay' || c.model !== undefined)).toEqual([]);
  });
});
