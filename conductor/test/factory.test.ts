// Factory mode: specs/ is the durable artifact. spec.json versions a spec and
// records its builds; `conductor factory` rebuilds code from a spec without
// re-planning, and a recorded run replays to the very same tree.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SpecRecord } from '../src/specs/spec-record.js';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const REQUEST = '# Feature Request: Rate Limiter\n\n## User Story\nx\n## Problem Statement\nx\n## Requirements\n- x\n## Constraints\n- Don\'t touch: src/db/**\n## Success Criteria\n- [ ] x\n';
const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

function project(extraConfig = '') {
  const log = join(testdir(), 'prompts.jsonl');
  // T02 is reviewed "changes" first, so the recording holds more than one attempt.
  const env = { SCRIPT_LOG: log, SCRIPT_EDIT: 'src/{task}.ts=export const done = "{task} attempt {attempt}";', SCRIPT_VERDICT_T02: 'changes,approve' };
  const config = `provider: scripted\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify(env)}\n${extraConfig}`;
  const repo = gitdir({ 'conductor.config.yaml': config, 'feature-request.md': REQUEST, 'src/app.ts': 'export {};\n', '.gitignore': 'worktrees/\n.conductor/\n' });
  const prompts = () => readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { role: string });
  return { repo, prompts };
}

const specOf = (repo: string) => JSON.parse(readFileSync(join(repo, 'specs', 'rate-limiter', 'spec.json'), 'utf8')) as SpecRecord;

describe('specs and factory mode', () => {
  it('records the spec and its build, and rebuilds a recorded run to the same tree without re-planning', async () => {
    const { repo, prompts } = project();
    const rec = join(testdir(), 'recording');
    const base = sh(repo, 'rev-parse', 'HEAD');
    const first = await conductor(['run', 'feature-request.md', '--yes', '--record', rec], { cwd: repo, timeoutMs: 60_000 });
    expect(first.exitCode, first.stderr).toBe(0);

    const spec = specOf(repo);
    expect(spec).toMatchObject({ spec: 'rate-limiter', version: 1, baseCommit: base, roles: { implementer: { provider: 'scripted' }, reviewer: { provider: 'scripted' } } });
    expect(Object.keys(spec.hashes).sort()).toEqual(['ARCH.md', 'BACKLOG.yaml', 'PLAN.md', 'QA.md', 'SPEC.md', 'context.md']);
    expect(spec.builds).toHaveLength(1);
    const built = spec.builds[0]!;
    expect(built).toMatchObject({ version: 1, mode: 'run', branch: 'conductor/rate-limiter', resultCommit: sh(repo, 'rev-parse', 'conductor/rate-limiter'), resultTree: sh(repo, 'rev-parse', 'conductor/rate-limiter^{tree}'), base });
    expect(readFileSync(join(repo, 'specs', 'rate-limiter', 'BACKLOG.yaml'), 'utf8')).toContain('status: done'); // the final backlog is archived

    expect((await conductor(['factory', '--status'], { cwd: repo })).stdout).toBe(`rate-limiter  v1  built (v1 → ${built.resultCommit.slice(0, 12)} on conductor/rate-limiter)`);
    expect((await conductor(['factory'], { cwd: repo })).stdout).toBe('nothing to rebuild: every spec is built as it is (conductor factory --all rebuilds them anyway)');

    // Rebuild from the spec with the recording: no planner, no backlog session, the very same tree.
    const plannerCalls = prompts().length;
    const rebuilt = await conductor(['factory', 'specs/rate-limiter', '--replay', rec], { cwd: repo, timeoutMs: 60_000 });
    expect(rebuilt.exitCode, rebuilt.stderr).toBe(0);
    expect(prompts()).toHaveLength(plannerCalls); // the replay called no agent at all
    expect(sh(repo, 'rev-parse', 'factory/rate-limiter-v1^{tree}')).toBe(built.resultTree);
    expect(rebuilt.stdout).toBe(`rate-limiter v1: built on factory/rate-limiter-v1 (${sh(repo, 'rev-parse', '--short=12', 'factory/rate-limiter-v1')}, tree ${built.resultTree.slice(0, 12)}); the same tree as build v1 (${built.resultTree.slice(0, 12)})`);
    const ledger = readFileSync(join(repo, '.conductor', 'sessions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { role: string; provider: string });
    expect(ledger.filter((e) => e.provider === 'replay').map((e) => e.role).sort()).toEqual(['implementer', 'implementer', 'implementer', 'reviewer', 'reviewer', 'reviewer']);
    // The live run's records in tasks/ were not touched by the rebuild.
    expect(JSON.parse(readFileSync(join(repo, 'tasks', 'T02.status.json'), 'utf8'))).toMatchObject({ status: 'done', attempt: 2, branch: 'task/T02' });
    expect(sh(repo, 'branch', '--list', 'factory/*')).toBe('factory/rate-limiter-v1');
  }, 150_000);

  it('moves the version on when a human edits the spec, and rebuilds the changed spec by default', async () => {
    const { repo } = project();
    const rec = join(testdir(), 'recording');
    expect((await conductor(['run', 'feature-request.md', '--yes', '--record', rec], { cwd: repo, timeoutMs: 60_000 })).exitCode).toBe(0);
    const firstResult = specOf(repo).builds[0]!.resultCommit.slice(0, 12);
    writeFileSync(join(repo, 'specs', 'rate-limiter', 'SPEC.md'), '# SPEC\n\nNow with burst allowance.\n');

    const status = await conductor(['factory', '--status'], { cwd: repo });
    expect(status.stdout).toBe(`rate-limiter  v2  changed since its last build (v1 → ${firstResult} on conductor/rate-limiter): SPEC.md; now v2`);
    expect(specOf(repo).version).toBe(2);
    expect((await conductor(['factory', '--status'], { cwd: repo })).stdout).toContain('  v2  '); // reading twice does not move it again

    const rebuilt = await conductor(['factory', '--replay', rec], { cwd: repo, timeoutMs: 60_000 });
    expect(rebuilt.exitCode, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toMatch(/^rate-limiter v2: built on factory\/rate-limiter-v2 /);
    expect(specOf(repo).builds.map((b) => [b.version, b.mode])).toEqual([[1, 'run'], [2, 'factory']]);
    expect((await conductor(['factory', '--status'], { cwd: repo })).stdout).toMatch(/^rate-limiter {2}v2 {2}built \(v2 → [0-9a-f]{12} on factory\/rate-limiter-v2\)$/);
  }, 150_000);

  it("rebuilds from where the run's implementation started, keeps its own gate logs and leaves the repo map alone", async () => {
    const { repo } = project(`gates:\n  - { name: test, run: [${JSON.stringify(process.execPath)}, -e, "0"] }\n`);
    const rec = join(testdir(), 'recording');
    const planned = sh(repo, 'rev-parse', 'HEAD');
    expect((await conductor(['run', 'feature-request.md', '--record', rec], { cwd: repo, timeoutMs: 60_000 })).exitCode).toBe(0); // pauses at the backlog checkpoint
    // The human commits at the checkpoint: implementation starts from that commit, not from where planning ran.
    writeFileSync(join(repo, 'NOTES.md'), 'reviewed the backlog\n');
    sh(repo, 'add', 'NOTES.md');
    sh(repo, '-c', 'user.name=u', '-c', 'user.email=u@example.com', 'commit', '-q', '-m', 'notes');
    const started = sh(repo, 'rev-parse', 'HEAD');
    expect((await conductor(['resume', '--record', rec], { cwd: repo, timeoutMs: 60_000 })).exitCode).toBe(0);
    const spec = specOf(repo);
    expect([spec.baseCommit, spec.builds[0]!.base]).toEqual([planned, started]);

    const liveLog = join(repo, '.conductor', 'logs', 'T01', 'attempt-1', 'test.log');
    const liveLogText = readFileSync(liveLog, 'utf8');
    const map = readFileSync(join(repo, 'docs', 'repo-map.md'), 'utf8');
    const rebuilt = await conductor(['factory', 'rate-limiter', '--replay', rec], { cwd: repo, timeoutMs: 60_000 });
    expect(rebuilt.exitCode, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toContain('; the same tree as build v1 (');
    expect(sh(repo, 'rev-parse', 'factory/rate-limiter-v1^{tree}')).toBe(spec.builds[0]!.resultTree);
    expect(specOf(repo).builds[1]!.base).toBe(started);
    expect(existsSync(join(repo, '.conductor', 'factory', 'rate-limiter-v1', 'logs', 'T01', 'attempt-1', 'test.log'))).toBe(true);
    expect([statSync(liveLog).isFile(), readFileSync(liveLog, 'utf8')]).toEqual([true, liveLogText]);
    expect(readFileSync(join(repo, 'docs', 'repo-map.md'), 'utf8')).toBe(map);

    // The factory run's report reads the factory build's task records, not the live run's (moved away here to tell them apart).
    for (const id of ['T01', 'T02']) renameSync(join(repo, 'tasks', `${id}.status.json`), join(repo, `${id}.status.json.live`));
    const report = await conductor(['report', '--json'], { cwd: repo });
    expect(report.exitCode, report.stderr).toBe(0);
    const parsed = JSON.parse(report.stdout) as { tasks: { id: string; state?: string; attempts: number }[] };
    expect(parsed.tasks.map((t) => [t.id, t.state, t.attempts])).toEqual([['T01', 'done', 1], ['T02', 'done', 2]]);
  }, 150_000);

  it('says which specs exist when a name is wrong, and which commit is missing for --onto', async () => {
    const { repo } = project();
    expect((await conductor(['factory', '--status'], { cwd: repo })).stdout).toBe('no specs yet: conductor run <feature-request.md> writes one under specs/');
    const wrong = await conductor(['factory', 'specs/nope'], { cwd: repo });
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toBe('conductor: no spec specs/nope under specs/\nhint: specs here: none yet');

    // A spec written by hand has no base commit: factory asks for one, and checks it exists.
    execFileSync('mkdir', ['-p', join(repo, 'specs', 'by-hand')]);
    writeFileSync(join(repo, 'specs', 'by-hand', 'BACKLOG.yaml'), 'version: 1\nfeature: by-hand\ntasks:\n  - { id: T01, title: One, description: Write src/T01.ts., acceptance: [it exists] }\n');
    expect((await conductor(['factory', '--status'], { cwd: repo })).stdout).toBe('by-hand  v1  never built');
    const noBase = await conductor(['factory', 'by-hand'], { cwd: repo });
    expect([noBase.exitCode, noBase.stderr]).toEqual([2, 'conductor: specs/by-hand/spec.json does not say which commit it was planned on\nhint: pass --onto REF to choose the base']);
    const badOnto = await conductor(['factory', 'by-hand', '--onto', 'no-such-ref'], { cwd: repo });
    expect([badOnto.exitCode, badOnto.stderr]).toEqual([2, 'conductor: --onto no-such-ref: no such commit in this repository\nhint: give a branch, tag or commit that exists']);
  });
});
