// Agents and gates that leave processes behind, as Claude Code 2.1.332 does
// (a `git` child outlives it) and like any `nohup … &` in a worker or a gate
// does. The run must go on to its end: these tests run the built CLI as a
// subprocess, because vitest's own event loop hides an early exit of Node.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isGroupAlive } from '../src/process/kill-group.js';
import { isProcessAlive, procStat } from '../src/process/proc-stat.js';
import { acquireRunLock } from '../src/state/run-lock.js';
import { BIN, conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { alive } from './helpers/processes.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const REQUEST = '# Feature Request: Rate Limiter\n\n## User Story\nx\n## Problem Statement\nx\n## Requirements\n- x\n## Constraints\n- x\n## Success Criteria\n- [ ] x\n';

/** Live (not zombie) processes whose command line holds `needle`. */
function running(needle: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').join(' ').includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number)
    .filter(alive);
}

/** A process group whose only member is a zombie: perl forks a child into its own group and never reaps it. */
async function startZombieGroup(): Promise<{ pgid: number; stop: () => void }> {
  const parent = spawn('perl', ['-e', '$| = 1; my $p = fork; if (!$p) { setpgrp(0, 0); exit 0 } print "$p\\n"; sleep 60'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pgid = await new Promise<number>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim()))));
  for (let i = 0; i < 100 && procStat(pgid)?.state !== 'Z'; i++) await new Promise((r) => setTimeout(r, 20));
  return { pgid, stop: () => parent.kill('SIGKILL') };
}

describe('a zombie is dead', () => {
  it('in the process-group check, though kill(-pgid, 0) still succeeds on it', async () => {
    const { pgid, stop } = await startZombieGroup();
    try {
      expect(procStat(pgid)?.state).toBe('Z');
      expect(() => process.kill(-pgid, 0)).not.toThrow();
      expect(isGroupAlive(pgid)).toBe(false);
      expect(isProcessAlive(pgid)).toBe(false);
      expect(isProcessAlive(process.pid)).toBe(true);
    } finally {
      stop();
    }
  });

  it('in the run lock: a lock whose holder is an unreaped zombie is taken over', async () => {
    const { pgid, stop } = await startZombieGroup();
    try {
      const conductorDir = join(testdir(), '.conductor');
      execFileSync('mkdir', ['-p', conductorDir]);
      writeFileSync(join(conductorDir, 'lock'), JSON.stringify({ pid: pgid, hostname: hostname(), processStart: procStat(pgid)?.startTime, startedAt: '2026-12-02T00:00:00.000Z', command: 'conductor run' }));
      const lock = await acquireRunLock(conductorDir, 'conductor resume');
      expect(lock.holder.pid).toBe(process.pid);
      await lock.release();
    } finally {
      stop();
    }
  });

  it('for resume right after conductor was killed with -9 by a parent that has not reaped it', async () => {
    const hang = join(testdir(), 'hang');
    writeFileSync(hang, '');
    const agent = `if [ -f ${hang} ]; then exec sleep 600; fi; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(SCRIPT)}`;
    const repo = gitdir({ 'conductor.config.yaml': `provider: scripted\nproviders:\n  scripted:\n    command: ["sh", "-c", ${JSON.stringify(agent)}]\n`, 'feature-request.md': REQUEST });
    // sh starts conductor and becomes `sleep`, which never reaps a child. The test kills conductor with -9 only
    // after that exec, once its planners run: a shell still running could reap the dead child in any `wait` of its own.
    const script = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} run feature-request.md >/dev/null 2>&1 & echo $!; exec sleep 60`;
    const parent = spawn('sh', ['-c', script], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const pid = await new Promise<number>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim()))));
      const comm = (): string => { try { return readFileSync(`/proc/${parent.pid}/comm`, 'utf8').trim(); } catch { return ''; } };
      const planning = (): boolean => existsSync(join(repo, '.conductor', 'sessions.jsonl')) || (existsSync(join(repo, '.conductor', 'sessions')) && readdirSync(join(repo, '.conductor', 'sessions')).length >= 3);
      for (let i = 0; i < 1000 && (comm() !== 'sleep' || !planning()); i++) await new Promise((r) => setTimeout(r, 20));
      expect(comm()).toBe('sleep');
      expect(planning()).toBe(true);
      expect(isProcessAlive(pid)).toBe(true);
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 100 && procStat(pid)?.state !== 'Z'; i++) await new Promise((r) => setTimeout(r, 20));
      expect(procStat(pid)?.state).toBe('Z');
      expect(JSON.parse(readFileSync(join(repo, '.conductor', 'lock'), 'utf8'))).toMatchObject({ pid });
      execFileSync('rm', [hang]);
      const resumed = await conductor(['resume'], { cwd: repo });
      expect(resumed.stderr).not.toContain('another conductor');
      expect(resumed.exitCode, resumed.stderr).toBe(0);
      expect(resumed.stdout).toContain('paused at the backlog checkpoint');
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

describe('leftover processes never end a run early', () => {
  it("finishes `conductor plan` when every planner leaves a TERM-ignoring child behind (the issue's repro)", async () => {
    const tag = `${20 + Math.floor(Math.random() * 9)}.${process.pid}`;
    const repo = gitdir({
      'conductor.config.yaml': `provider: sh\nproviders:\n  sh:\n    command: ["sh", "-c", "(trap '' TERM; sleep ${tag}) </dev/null >/dev/null 2>&1 & echo '# SPEC'"]\ncheckpoints: []\n`,
      'feature-request.md': REQUEST,
    });
    const result = await conductor(['plan', 'feature-request.md'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('specs/rate-limiter/PLAN.md');
    const ledger = readFileSync(join(repo, '.conductor', 'sessions.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { role: string; exit: string });
    expect(ledger.map((l) => `${l.role}:${l.exit}`).sort()).toEqual(['plan-merge:ok', 'planner-arch:ok', 'planner-qa:ok', 'planner-spec:ok']);
    expect(running(`sleep ${tag}`)).toEqual([]);
  });

  it('finishes a whole `conductor run --yes` whose workers and gates leave background processes', async () => {
    const workerTag = `${30 + Math.floor(Math.random() * 9)}.${process.pid}`;
    const gateTag = `${40 + Math.floor(Math.random() * 9)}.${process.pid}`;
    const env = {
      SCRIPT_EDIT: 'src/{task}.ts=export const done = true;',
      SCRIPT_RUN: JSON.stringify([['sh', '-c', `nohup sleep ${workerTag} >/dev/null 2>&1 &`]]),
    };
    const repo = gitdir({
      'conductor.config.yaml': `provider: scripted\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify(env)}\ngates:\n  - name: test\n    run: ["sh", "-c", "sleep ${gateTag} & exit 0"]\n`,
      'feature-request.md': REQUEST,
      'src/app.ts': 'export {};\n',
    });
    const result = await conductor(['run', 'feature-request.md', '--yes'], { cwd: repo, timeoutMs: 120_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    const backlog = readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8');
    expect([...backlog.matchAll(/status: (\w+)/g)].map((m) => m[1])).toEqual(['done', 'done']);
    const ledger = readFileSync(join(repo, '.conductor', 'sessions.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { role: string; exit: string });
    expect(ledger.map((l) => `${l.role}:${l.exit}`).sort()).toEqual(['backlog:ok', 'implementer:ok', 'implementer:ok', 'plan-merge:ok', 'planner-arch:ok', 'planner-qa:ok', 'planner-spec:ok', 'reviewer:ok', 'reviewer:ok']);
    expect(running(`sleep ${workerTag}`)).toEqual([]);
    expect(running(`sleep ${gateTag}`)).toEqual([]);
    expect(existsSync(join(repo, '.conductor', 'lock'))).toBe(false);
  });
});
