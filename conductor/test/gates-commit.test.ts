import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newlyFailing, runGates } from '../src/gates/run-gates.js';
import { commitWork, CONTEXT_COPY } from '../src/git/commit-work.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { pidsWithMarker } from '../src/process/kill-group.js';

const node = process.execPath;

describe('gates', () => {
  it('runs every gate in the worktree and records pass, duration, log and what failed', async () => {
    const dir = testdir({ 'ok.js': 'console.log("all good")', 'bad.js': 'for (let i = 0; i < 60; i++) console.log("line " + i); console.error("FAIL limiter.test.ts"); process.exit(1)' });
    const results = await runGates(
      [
        { name: 'lint', run: [node, 'ok.js'] },
        { name: 'test', run: [node, 'bad.js'] },
      ],
      { cwd: dir, logDir: join(dir, 'logs'), defaultTimeoutMinutes: 1 },
    );
    expect(results.map((r) => [r.name, r.passed, r.exitCode])).toEqual([
      ['lint', true, 0],
      ['test', false, 1],
    ]);
    expect(readFileSync(results[0]!.log!, 'utf8')).toContain('all good');
    // No runner's format here: the failures are the output's last lines, without the log's stderr mark.
    const tail = results[1]!.failures!.split('\n');
    expect(tail.at(-1)).toBe('FAIL limiter.test.ts');
    expect(tail).toHaveLength(20);
    expect(newlyFailing(results, new Set(['test']))).toEqual([]);
    expect(newlyFailing(results, new Set()).map((r) => r.name)).toEqual(['test']);
  });

  it('kills a gate that hangs, with everything it started, at its timeout', async () => {
    const dir = testdir({ 'hang.js': 'require("child_process").spawn("sleep", ["300"], { stdio: "inherit" }); setInterval(() => {}, 1000)' });
    const results = await runGates([{ name: 'test', run: [node, 'hang.js'], timeoutMinutes: 0.01 }], { cwd: dir, logDir: join(dir, 'logs'), defaultTimeoutMinutes: 15 });
    expect(results[0]).toMatchObject({ passed: false, note: 'timed out after 0.01 min: killed' });
    expect(pidsWithMarker('CONDUCTOR_GATE_ID', results[0]!.gateId!)).toEqual([]);
  });

  it('reports a gate whose program is missing', async () => {
    const dir = testdir();
    const [result] = await runGates([{ name: 'lint', run: ['no-such-linter-here'] }], { cwd: dir, logDir: join(dir, 'logs'), defaultTimeoutMinutes: 1 });
    expect(result).toMatchObject({ passed: false, note: 'command not found: no-such-linter-here' });
  });
});

describe('committing a worker\'s changes', () => {
  it('commits everything but the context copy, and reports an empty change', async () => {
    const dir = gitdir({ 'a.ts': 'a\n' });
    writeFileSync(join(dir, CONTEXT_COPY), '# Task T01\n');
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    expect(await commitWork(dir, 'T01: nothing')).toEqual({ files: [], parent: head });
    writeFileSync(join(dir, 'a.ts'), 'a2\n');
    writeFileSync(join(dir, 'b file.ts'), 'b\n');
    const done = await commitWork(dir, 'T01: token bucket');
    expect(done.files.sort()).toEqual(['a.ts', 'b file.ts']);
    expect(execFileSync('git', ['log', '-1', '--format=%an|%s'], { cwd: dir, encoding: 'utf8' }).trim()).toBe('conductor|T01: token bucket');
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: dir, encoding: 'utf8' })).toBe(`?? ${CONTEXT_COPY}\n`);
  });

  it('never runs the repository\'s git hooks', async () => {
    const dir = gitdir({ 'a.ts': 'a\n' });
    writeFileSync(join(dir, '.git', 'hooks', 'pre-commit'), '#!/bin/sh\necho hooked > HOOK_RAN\nexit 1\n', { mode: 0o755 });
    writeFileSync(join(dir, 'a.ts'), 'changed\n');
    const done = await commitWork(dir, 'T01');
    expect(done.files).toEqual(['a.ts']);
    expect(execFileSync('git', ['log', '-1', '--format=%s'], { cwd: dir, encoding: 'utf8' }).trim()).toBe('T01');
    expect(() => readFileSync(join(dir, 'HOOK_RAN'))).toThrow();
  });
});
