// `conductor demo`, as a new user runs it: no agent, no key, exit 0, and a
// repository that shows every loop of the pipeline for real.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateBacklogText } from '../src/backlog/validate-backlog.js';
import { conductor } from './helpers/cli.js';
import { testdir } from './helpers/dirs.js';
import { worktreePath } from './helpers/worktree-path.js';

const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

describe('conductor demo', () => {
  it('runs the whole pipeline on the bundled example from recorded sessions', async () => {
    const tmp = testdir();
    // No agent CLI on PATH beyond node and git, and no key: the demo must not need them.
    const result = await conductor(['demo'], { cwd: tmp, env: { TMPDIR: tmp, ANTHROPIC_API_KEY: '', OPENAI_API_KEY: '' }, timeoutMs: 120_000 });
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    const repo = /^ {2}repository: (.+)$/m.exec(result.stdout)![1]!;
    expect(repo.startsWith(tmp)).toBe(true);
    expect(result.stdout).toContain('5 tasks: 5 done\nall merged into conductor/key-expiry');
    expect(result.stdout).toContain('Now on your own repository, with a real agent CLI (opencode, claude, codex or gemini):\n');
    expect(result.stdout).toContain('&& npm link)   # once: the conductor command on your PATH\n  cd path/to/your-repo\n  conductor doctor ');

    // Phase 1: three planners in parallel, then the merge; phase 2: the backlog.
    expect(readdirSync(join(repo, 'specs', 'key-expiry')).sort()).toEqual(expect.arrayContaining(['ARCH.md', 'BACKLOG.yaml', 'PLAN.md', 'QA.md', 'SPEC.md', 'context.md']));
    expect(result.stderr).toContain('plan: 3 planners in parallel on specs/key-expiry/context.md');
    const backlog = validateBacklogText(readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8'), 'f').backlog!;
    expect(backlog.tasks.map((t) => [t.id, t.status, t.depends_on])).toEqual([
      ['T01', 'done', []],
      ['T02', 'done', ['T01']],
      ['T03', 'done', ['T02']],
      ['T04', 'done', ['T02']],
      ['T05', 'done', ['T03', 'T04']],
    ]);

    // The retry after a failing gate, the review asking for changes, the rebase.
    const status = (id: string) => JSON.parse(readFileSync(join(repo, 'tasks', `${id}.status.json`), 'utf8')) as { attempt: number; history: { to: string; note?: string }[] };
    expect(status('T02').history.filter((h) => h.to === 'failed').map((h) => h.note)).toEqual(['gates failed: test']);
    // The retry's worker is told which assertion failed and where, not the test runner's stack frames.
    const ledger = readFileSync(join(repo, '.conductor', 'sessions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { sessionId: string; provider: string; role: string; taskId?: string; attempt: number; log: string });
    const retry = ledger.find((e) => e.role === 'implementer' && e.taskId === 'T02' && e.attempt === 2)!;
    const lesson = [
      '- attempt 1: gate test failed:',
      '  ✗ a key is there until its expiry and gone exactly at it (test/ttl.test.js:21:10)',
      '    AssertionError: Expected values to be strictly equal:',
      '    1 !== undefined',
      '    expected: undefined',
      '    actual:   1',
    ].join('\n');
    expect(readFileSync(join(dirname(retry.log), 'prompt.md'), 'utf8')).toContain(`## Review notes from the last attempt — address each one\n\n${lesson}\n`);
    expect(readFileSync(join(repo, 'tasks', 'T02.notes.md'), 'utf8')).toContain(`Negative evidence:\n${lesson}\n`);
    expect(readFileSync(join(repo, 'tasks', 'T03.notes.md'), 'utf8')).toContain('## Review of attempt 1: changes');
    expect(backlog.tasks.find((t) => t.id === 'T04')!.title).toBe('stats (read-only)');
    expect(readFileSync(join(repo, 'tasks', 'T04.notes.md'), 'utf8')).toContain('## Rebase after attempt 1 (the reviewer asked for a rebase)');
    expect(['T01', 'T02', 'T03', 'T04', 'T05'].map((id) => status(id).attempt)).toEqual([1, 2, 2, 2, 1]);

    // The merges: one per task, and the merged code passes the project's own tests.
    expect(sh(repo, 'log', '--merges', '--format=%s', 'conductor/key-expiry').split('\n').reverse()).toEqual(['Merge T01: Injectable clock', 'Merge T02: TTL on set and get', 'Merge T03: purgeExpired', 'Merge T04: stats (read-only)', 'Merge T05: Document expiry']);
    const integration = worktreePath(repo, '_integration');
    expect(() => execFileSync(process.execPath, ['--test'], { cwd: integration, stdio: 'pipe' })).not.toThrow();
    expect(readFileSync(join(integration, 'src', 'store.js'), 'utf8')).toContain('stats() {');
    expect(sh(repo, 'branch', '--show-current')).toBe('main');
    expect(existsSync(join(repo, 'src', 'clock.js'))).toBe(false); // the demo's own checkout is untouched

    // Every call a new session.
    expect(ledger).toHaveLength(21);
    expect(new Set(ledger.map((e) => e.sessionId)).size).toBe(21);
    expect(new Set(ledger.map((e) => e.provider))).toEqual(new Set(['replay']));

    // It ends with the run's report, also written under docs/runs/.
    const path = /\(the report is also in (docs\/runs\/[0-9a-f-]+\.md);/.exec(result.stdout)![1]!;
    const report = readFileSync(join(repo, path), 'utf8');
    expect(result.stdout).toContain(report);
    expect(report).toContain('- agent calls: 21, tokens in/out: ');
    expect(report).toContain('- session reuse: 0 ');
    expect(report).toContain('- first-attempt success: 40% (2 of 5 finished tasks)');
    expect(report).toContain('- planning documents in worker and reviewer prompts: none');
    // The timeline: an SVG next to the report, a row per task, a bar per step of each attempt.
    const svgName = path.replace(/^docs\/runs\//, '').replace(/\.md$/, '.svg');
    expect(report).toContain(`![Timeline of run `);
    expect(report).toContain(`](${svgName})`);
    const svg = readFileSync(join(repo, 'docs', 'runs', svgName), 'utf8');
    expect(svg.match(/<g class="task" data-task="T0\d">/g)).toHaveLength(5);
    expect(svg).toMatch(/ data-attempt="1"[^>]*><title>T02 attempt 1: gates, [^<]*, failed \(gates\)<\/title>/);
    expect(svg).toMatch(/<title>T02 attempt 2: merge, /);
  }, 150_000);
});
