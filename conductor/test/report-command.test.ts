import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../src/agents/ledger.js';
import type { RunReport } from '../src/report/run-report.js';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { backlog, writeTask } from './helpers/backlogs.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const REQUEST = '# Feature Request: Rate Limiter\n\n## User Story\nx\n## Problem Statement\nx\n## Requirements\n- x\n## Constraints\n- none\n## Success Criteria\n- [ ] x\n';
const BACKLOG = backlog(
  writeTask('T01', 'First'),
  writeTask('T02', 'Second', ['T01']),
  writeTask('T03', 'Third'),
);
// Every call reports 1,000 tokens in and 200 out; priced at $1 / $5 per million that is $0.002 a call.
const CALL_USD = 0.002;

/** A repository with scripted agents that report token usage, priced by the config; `gate` is what every src/T*.ts must say. */
function project(extraConfig = '', gate = 'attempt', concurrency = 2) {
  const check = `const fs = require("fs"); for (const f of fs.readdirSync("src").filter((f) => f.startsWith("T"))) { if (!fs.readFileSync("src/" + f, "utf8").includes(${JSON.stringify(gate)})) process.exit(1) }`;
  const env = { SCRIPT_LOG: join(testdir(), 'prompts.jsonl'), SCRIPT_EDIT: 'src/{task}.ts=export const done = "attempt {attempt}";', SCRIPT_USAGE: '1000,200' };
  const config = `provider: scripted\nconcurrency: ${concurrency}\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    model: scripted-1\n    env: ${JSON.stringify(env)}\ngates:\n  - { name: test, run: [${JSON.stringify(process.execPath)}, check.js] }\npricing:\n  scripted-1: { inputPerMillion: 1, outputPerMillion: 5 }\n${extraConfig}`;
  return gitdir({ 'conductor.config.yaml': config, 'tasks/BACKLOG.yaml': BACKLOG, 'feature-request.md': REQUEST, 'src/app.ts': 'export {};\n', 'check.js': check, '.gitignore': 'worktrees/\n.conductor/\n' });
}

const ledger = (repo: string) => readFileSync(join(repo, '.conductor', 'sessions.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as LedgerEntry);
const status = (repo: string, id: string) => JSON.parse(readFileSync(join(repo, 'tasks', `${id}.status.json`), 'utf8')) as { status: string; attempt: number; note?: string };

async function jsonReport(repo: string, ...args: string[]): Promise<RunReport> {
  const result = await conductor(['report', '--json', ...args], { cwd: repo });
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as RunReport;
}

describe('conductor report', () => {
  it('says there is no run yet, with exit 2', async () => {
    const result = await conductor(['report'], { cwd: gitdir() });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe('conductor: no run recorded in this repository yet\nhint: conductor run, resume, implement, plan and backlog record their agent calls in .conductor/sessions.jsonl');
  });

  it('reports an implement run from its ledger lines and status files, and keeps it under docs/runs', async () => {
    const repo = project();
    expect((await conductor(['implement'], { cwd: repo })).exitCode).toBe(0);
    const lines = ledger(repo);
    const runId = lines[0]!.runId!;
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines.every((line) => line.runId === runId)).toBe(true);

    const report = await jsonReport(repo);
    const count = (role: string) => lines.filter((l) => l.role === role).length;
    expect(count('implementer')).toBe(3);
    expect(report.phases.map((p) => [p.phase, p.calls])).toEqual([['implement', count('implementer')], ['review', count('reviewer')]]);
    expect(report.totals).toMatchObject({ calls: lines.length, inputTokens: 1000 * lines.length, outputTokens: 200 * lines.length, unpricedCalls: 0 });
    expect(report.totals.costUsd).toBeCloseTo(CALL_USD * lines.length, 10);
    expect(report.sessionReuse).toBe(0);
    expect(report.tasks.map((t) => [t.id, t.state, t.attempts, t.calls])).toEqual([['T01', 'done', 1, 2], ['T02', 'done', 1, 2], ['T03', 'done', 1, 2]]);
    expect(report.firstAttempt).toEqual({ succeeded: 3, tasks: 3, rate: 1 });
    expect(report.attempts).toEqual({ 1: 3 });
    const contexts = ['T01', 'T02', 'T03'].map((id) => Buffer.byteLength(readFileSync(join(repo, 'tasks', `${id}.context.md`))));
    expect(report.context.maxBytes).toBe(Math.max(...contexts));
    expect(report.debris).toEqual({ checked: lines.length, missing: 0, hits: [] });
    // T02 waited for T01: the dependency chain is the critical path, and nothing beats it.
    expect(report.schedule.criticalPath.at(-1)).toBe('T02');
    expect(report.schedule.makespanMs).toBeGreaterThanOrEqual(report.schedule.criticalPathMs);
    expect(report.schedule).toMatchObject({ concurrency: 2, lowerBoundMs: Math.max(report.schedule.criticalPathMs, report.schedule.totalWorkMs / 2) });
    expect((await jsonReport(repo, '--concurrency', '1')).schedule).toMatchObject({ concurrency: 1, lowerBoundMs: report.schedule.totalWorkMs });

    const text = await conductor(['report'], { cwd: repo });
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout.startsWith(`# Run ${runId}\n`)).toBe(true);
    // Named by the run's start (UTC), so docs/runs lists runs by date; the timeline SVG sits next to it.
    const stem = `${report.startedAt.slice(0, 19).replace('T', '-').replace(/:/g, '')}-${runId}`;
    expect(text.stderr).toBe(`written to docs/runs/${stem}.md (timeline: docs/runs/${stem}.svg)`);
    expect(readFileSync(join(repo, 'docs', 'runs', `${stem}.md`), 'utf8')).toBe(`${text.stdout}\n`);
    expect(text.stdout).toContain('- session reuse: 0 (sessions whose id appears twice in the ledger)');
    expect(text.stdout).toContain('- planning documents in worker and reviewer prompts: none (6 saved prompts checked)');
    expect(text.stdout).toContain(`## Timeline\n\n![Timeline of run ${runId}](${stem}.svg)\n`);
    const svg = readFileSync(join(repo, 'docs', 'runs', `${stem}.svg`), 'utf8');
    expect([...svg.matchAll(/<g class="task" data-task="(T0\d)">/g)].map((m) => m[1])).toEqual(['T01', 'T02', 'T03']);
  });

  it('flags a worker prompt that carries a planning document', async () => {
    const repo = project();
    const path = join(repo, 'tasks', 'BACKLOG.yaml');
    writeFileSync(path, readFileSync(path, 'utf8').replace('description: Write src/T01.ts.', 'description: "Write src/T01.ts. We weighed three designs for the bucket."'));
    mkdirSync(join(repo, 'specs', 'demo'), { recursive: true });
    writeFileSync(join(repo, 'specs', 'demo', 'ARCH.md'), '# Architecture\n\nWe weighed three designs for the bucket.\n');
    await conductor(['implement', '--only', 'T01'], { cwd: repo });
    const worker = ledger(repo).find((l) => l.role === 'implementer')!;
    const report = await jsonReport(repo);
    expect(report.debris.hits.filter((h) => h.role === 'implementer')).toEqual([{ sessionId: worker.sessionId, role: 'implementer', taskId: 'T01', doc: 'specs/demo/ARCH.md', lines: 1 }]);
    expect((await conductor(['report'], { cwd: repo })).stdout).toContain(`  - implementer T01 (session ${worker.sessionId}) carries 1 line of specs/demo/ARCH.md`);
  });

  it('gives every command a run id of its own and reports any run by a prefix of its id', async () => {
    const repo = project();
    await conductor(['implement', '--only', 'T01'], { cwd: repo });
    await conductor(['implement', '--only', 'T03'], { cwd: repo });
    const ids = [...new Set(ledger(repo).map((l) => l.runId))];
    expect(ids).toHaveLength(2);
    expect((await jsonReport(repo)).tasks.map((t) => t.id)).toEqual(['T03']);
    expect((await jsonReport(repo, '--run', ids[0]!.slice(0, 8))).tasks.map((t) => t.id)).toEqual(['T01']);
    const unknown = await conductor(['report', '--run', 'zzz'], { cwd: repo });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toBe(`conductor: no run zzz in .conductor/sessions.jsonl\nhint: recent runs, newest first: ${ids[1]}, ${ids[0]}`);
  });

  it('reports every phase of conductor run under the journal\'s run id, with no planning document in any worker prompt', async () => {
    const repo = project();
    const result = await conductor(['run', 'feature-request.md', '--yes'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    const journal = JSON.parse(readFileSync(join(repo, '.conductor', 'run.json'), 'utf8')) as { runId: string };
    expect(new Set(ledger(repo).map((l) => l.runId))).toEqual(new Set([journal.runId]));
    const report = await jsonReport(repo);
    expect(report.runId).toBe(journal.runId);
    expect(report.phases.map((p) => [p.phase, p.calls])).toEqual([['plan', 4], ['backlog', 1], ['implement', 2], ['review', 2]]);
    expect(report.debris).toEqual({ checked: 4, missing: 0, hits: [] });
  });

  it('keeps the run id across conductor resume, so the paused run is one run', async () => {
    const repo = project();
    expect((await conductor(['run', 'feature-request.md'], { cwd: repo })).stdout).toContain('paused at the backlog checkpoint');
    expect((await conductor(['resume'], { cwd: repo })).exitCode).toBe(0);
    const journal = JSON.parse(readFileSync(join(repo, '.conductor', 'run.json'), 'utf8')) as { runId: string };
    const lines = ledger(repo);
    expect(lines.filter((l) => l.role === 'reviewer')).toHaveLength(2);
    expect(new Set(lines.map((l) => l.runId))).toEqual(new Set([journal.runId]));
  });
});

describe('budgets.maxCostUsd', () => {
  it('perRun: once the run has spent its cap no task starts, the running one finishes, and the report says when', async () => {
    const repo = project(`budgets: { maxCostUsd: { perRun: ${CALL_USD} } }\n`, 'attempt', 1);
    const result = await conductor(['implement'], { cwd: repo });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('3 tasks: 1 done, 2 pending\ncost cap: this run spent $0.0040 of its $0.0020 budget (budgets.maxCostUsd.perRun); new starts stopped and running tasks finished; conductor report has the figures\nnot finished: T02, T03 (conductor status shows why; tasks/<id>.notes.md has each attempt)');
    expect(status(repo, 'T01').status).toBe('done');
    const report = await jsonReport(repo);
    const first = ledger(repo)[0]!;
    expect(report.caps.perRun).toEqual({ capUsd: CALL_USD, reachedAt: new Date(Date.parse(first.at) + first.durationMs).toISOString(), startedAfter: [] });
    expect((await conductor(['report'], { cwd: repo })).stdout).toContain(`- per-run cap $0.0020 reached at ${report.caps.perRun!.reachedAt}: no task started after it`);
    expect(report.tasks.map((t) => t.id)).toEqual(['T01']);
  });

  it('perTask: a task that has spent its cap gets no further attempt and is blocked, saying so', async () => {
    const repo = project(`budgets: { maxCostUsd: { perTask: 0.003 } }\n`, 'never');
    const result = await conductor(['implement', '--only', 'T03'], { cwd: repo });
    expect(result.exitCode).toBe(1);
    // Each attempt is one worker call (the gate fails, so no review): $0.002, then $0.004 ≥ $0.003.
    expect(status(repo, 'T03')).toMatchObject({ status: 'blocked', attempt: 2, note: 'cost cap: T03 spent $0.0040 of its $0.0030 budget (budgets.maxCostUsd.perTask)' });
    const text = await conductor(['report'], { cwd: repo });
    expect(text.stdout).toContain('- per-task cap $0.0030: blocked T03');
  });
});
