import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runProcess, type RunOptions } from '../src/process/run-process.js';
import { buildAgentEnv, redactor, secretValues } from '../src/process/agent-env.js';
import { Supervisor } from '../src/process/supervisor.js';
import { pidsWithMarker } from '../src/process/kill-group.js';
import { testdir } from './helpers/dirs.js';
import { alive } from './helpers/processes.js';

const AGENT = fileURLToPath(new URL('./fixtures/fake-agent.mjs', import.meta.url));


/** Run the fake agent; whatever happened, nothing it started may still be running afterwards. */
async function run(mode: string[], overrides: Partial<RunOptions> = {}) {
  const dir = testdir();
  const session = `s-${process.pid}-${Math.random()}`;
  const outcome = await runProcess({
    argv: [process.execPath, AGENT, ...mode],
    cwd: dir,
    env: buildAgentEnv({ parent: process.env, set: { CONDUCTOR_SESSION_ID: session } }),
    logPath: join(dir, 'call.log'),
    inactivityMs: 2000,
    hardMs: 10_000,
    graceMs: 300,
    marker: { name: 'CONDUCTOR_SESSION_ID', value: session },
    ...overrides,
  });
  const marker = overrides.marker ?? { name: 'CONDUCTOR_SESSION_ID', value: session };
  expect(pidsWithMarker(marker.name, marker.value).filter(alive)).toEqual([]);
  return outcome;
}

describe('running an agent process', () => {
  it('captures stdout, the exit code and a log', async () => {
    const outcome = await run(['ok']);
    expect(outcome).toMatchObject({ reason: 'exited', exitCode: 0, signal: null, stdoutTruncated: false, logTruncated: false });
    expect(outcome.stdout).toContain('final message on stdout');
    const log = readFileSync(outcome.logPath, 'utf8');
    expect(log).toMatch(/^# \$ .*fake-agent\.mjs ok {2}\(cwd /);
    expect(log).toContain('final message on stdout');
    expect(log).toMatch(/# ended: exited, exit 0, \d+ ms\n$/);
  });

  it('arms no timer for output that drains after the agent exited (it kept conductor alive after the run)', async () => {
    // Every timer runProcess sets, and whether it is still pending (and keeping the process alive) when it returns.
    const pending = new Set<NodeJS.Timeout>();
    const realSet = globalThis.setTimeout;
    const realClear = globalThis.clearTimeout;
    globalThis.setTimeout = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const timer: NodeJS.Timeout = realSet(() => {
        pending.delete(timer);
        fn(...args);
      }, ms);
      pending.add(timer);
      return timer;
    }) as typeof setTimeout;
    globalThis.clearTimeout = ((timer: NodeJS.Timeout | undefined) => {
      if (timer) pending.delete(timer);
      realClear(timer);
    }) as typeof clearTimeout;
    const dir = testdir();
    try {
      // The agent exits at once; a child it left behind shrugs off SIGTERM and writes to the shared stdout a little later.
      const outcome = await runProcess({
        argv: ['sh', '-c', '(trap "" TERM; sleep 0.3; echo late output) & echo early; exit 0'],
        cwd: dir,
        env: { PATH: process.env.PATH ?? '' },
        logPath: join(dir, 'call.log'),
        inactivityMs: 60_000,
        hardMs: 60_000,
        graceMs: 2000,
        onLine: () => 'finished',
      });
      expect(outcome).toMatchObject({ reason: 'exited', exitCode: 0 });
      expect(outcome.stdout).toBe('early\nlate output\n');
      expect([...pending].filter((timer) => timer.hasRef())).toEqual([]);
    } finally {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
      for (const timer of pending) realClear(timer);
    }
  });

  it('reports a failing exit with the tail of stderr', async () => {
    const outcome = await run(['fail']);
    expect(outcome).toMatchObject({ reason: 'exited', exitCode: 3, stderrTail: 'error: something went wrong\n' });
  });

  it('closes stdin, so an agent that reads it sees EOF at once', async () => {
    const outcome = await run(['read-stdin'], { inactivityMs: 1500 });
    expect(outcome).toMatchObject({ reason: 'exited', exitCode: 0, stdout: 'stdin had 0 bytes\n' });
  });

  it('feeds input on stdin and then closes it', async () => {
    const outcome = await run(['read-stdin'], { input: 'hello prompt' });
    expect(outcome.stdout).toBe('stdin had 12 bytes\n');
  });

  it('kills an agent waiting for a TTY answer after the inactivity timeout', async () => {
    const outcome = await run(['wait-tty'], { inactivityMs: 400 });
    expect(outcome).toMatchObject({ reason: 'inactivity', exitCode: null, signal: 'SIGTERM' });
    expect(outcome.stdout).toBe('Allow edits to src/app.ts? [y/N] ');
  });

  it('kills a chatty agent at the hard timeout', async () => {
    const outcome = await run(['chatty-forever'], { inactivityMs: 5000, hardMs: 500 });
    expect(outcome.reason).toBe('hard-timeout');
  });

  it('SIGKILLs an agent that ignores SIGTERM after the grace period', async () => {
    const outcome = await run(['ignore-sigterm'], { inactivityMs: 300, graceMs: 300 });
    expect(outcome).toMatchObject({ reason: 'inactivity', signal: 'SIGKILL' });
    expect(readFileSync(outcome.logPath, 'utf8')).toContain('ignoring SIGTERM');
  });

  it('stops at once when cancelled', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const outcome = await run(['silent-forever'], { signal: controller.signal });
    expect(outcome).toMatchObject({ reason: 'cancelled', signal: 'SIGTERM' });
    expect(outcome.durationMs).toBeLessThan(5000);
  });

  it('keeps the result of an agent that finishes but never exits, and kills it after the grace period', async () => {
    const outcome = await run(['finish-no-exit'], { inactivityMs: 10_000, graceMs: 200, onLine: (line) => (line.includes('"type":"result"') ? 'finished' : undefined) });
    expect(outcome.reason).toBe('finished');
    expect(outcome.stdout).toBe('{"type":"result","result":"all done"}\n');
  });

  it('stops an agent that keeps retrying against a rate limit once the quota grace is over', async () => {
    const outcome = await run(['chatty-forever'], { inactivityMs: 5000, quotaGraceMs: 300, onLine: (line) => (line.includes('thinking') ? 'quota' : undefined) });
    expect(outcome.reason).toBe('quota');
    expect(outcome.durationMs).toBeLessThan(4000);
  });

  it('returns when the agent exits even if a grandchild holds stdout open, and ends the grandchild', async () => {
    const pidFile = join(testdir(), 'pid');
    const outcome = await run(['grandchild', pidFile]);
    expect(outcome).toMatchObject({ reason: 'exited', exitCode: 0 });
    expect(outcome.durationMs).toBeLessThan(5000);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(grandchild)).toBe(false);
  });

  it('finds and ends a grandchild that left the process group with setsid', async () => {
    const pidFile = join(testdir(), 'pid');
    const outcome = await run(['setsid-grandchild', pidFile], { marker: { name: 'CONDUCTOR_SESSION_ID', value: 'marked-1' }, env: buildAgentEnv({ parent: process.env, set: { CONDUCTOR_SESSION_ID: 'marked-1' } }) });
    expect(outcome.exitCode).toBe(0);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    for (let i = 0; i < 20 && alive(grandchild); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(grandchild)).toBe(false);
  });

  it('caps the log and the captured output of a flooding agent', async () => {
    const outcome = await run(['flood', '20'], { logCapBytes: 64 * 1024, captureCapBytes: 100 * 1024 });
    expect(outcome).toMatchObject({ reason: 'exited', exitCode: 0, stdoutTruncated: true, logTruncated: true });
    expect(outcome.stdout.length).toBe(100 * 1024);
    const log = readFileSync(outcome.logPath, 'utf8');
    expect(log.length).toBeLessThan(70 * 1024);
    expect(log).toContain('# log truncated at 65536 bytes; later output was dropped');
  });

  it('keeps multi-byte characters whole when they arrive split across chunks', async () => {
    const outcome = await run(['split-utf8']);
    expect(outcome.stdout).toBe('héllo wörld ✓\n');
    expect(readFileSync(outcome.logPath, 'utf8')).toContain('héllo wörld ✓\n');
  });

  it('reports a crash by its signal', async () => {
    const outcome = await run(['crash']);
    expect(outcome).toMatchObject({ reason: 'exited', exitCode: null, signal: 'SIGSEGV' });
  });

  it('says clearly when the program does not exist', async () => {
    const dir = testdir();
    const outcome = await runProcess({ argv: ['no-such-agent-cli'], cwd: dir, env: { PATH: process.env.PATH ?? '' }, logPath: join(dir, 'l.log'), inactivityMs: 1000, hardMs: 1000 });
    expect(outcome).toMatchObject({ reason: 'spawn-failed', spawnError: 'command not found: no-such-agent-cli' });
  });

  it('tracks running groups in the supervisor and forgets them when done', async () => {
    const supervisor = new Supervisor();
    const pending = run(['silent-forever'], { supervisor, inactivityMs: 300 });
    await new Promise((r) => setTimeout(r, 100));
    expect(supervisor.size).toBe(1);
    await pending;
    expect(supervisor.size).toBe(0);
  });
});

describe('agent environment', () => {
  it('passes an allowlist, never the whole environment', async () => {
    const parent = { PATH: '/usr/bin', HOME: '/home/u', AWS_SECRET_ACCESS_KEY: 'aws-secret-value', ANTHROPIC_API_KEY: 'sk-ant-0123456789abcdef0123', RANDOM_VAR: 'x' };
    const env = buildAgentEnv({ parent, passThrough: ['ANTHROPIC_API_KEY'], set: { CONDUCTOR_ROLE: 'implementer' } });
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/home/u', ANTHROPIC_API_KEY: 'sk-ant-0123456789abcdef0123', CONDUCTOR_ROLE: 'implementer' });
  });

  it('masks secret values and known token shapes in the log', async () => {
    const secret = 'hunter2-very-secret';
    const redact = redactor(secretValues({ DB_PASSWORD: secret, PATH: '/usr/bin' }));
    const outcome = await run(['leak-secret', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'], {
      env: buildAgentEnv({ parent: process.env, set: { LEAKED_VALUE: secret } }),
      redact,
    });
    const log = readFileSync(outcome.logPath, 'utf8');
    expect(log).toContain('my key is [redacted] and [redacted]');
    expect(log).not.toContain(secret);
  });
});
