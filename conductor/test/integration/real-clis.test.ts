// The providers against the real agent CLIs — each at its pinned release and
// at the newest release on the npm registry now (scripts/install-agent-clis.js)
// — talking to a mock model server on 127.0.0.1, never the internet. A
// registry that cannot be reached fails the suite. Proves the flags, the output
// parsing, session ids, usage, a tool call that writes a file in the worktree,
// and failure classification on the real binaries.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createProvider } from '../../src/agents/registry.js';
import { runAgentCall } from '../../src/agents/session.js';
import { readLedger } from '../../src/agents/ledger.js';
import type { AgentRequest, AgentResult } from '../../src/agents/types.js';
import { normalizeConfig } from '../../src/config/load-config.js';
import { BUILTINS } from '../../src/agents/providers/catalog.js';
import { compareVersions } from '../../src/agents/providers/proven-range.js';
import { pidsWithMarker } from '../../src/process/kill-group.js';
import { gitdir, testdir } from '../helpers/dirs.js';
import { CLIS, cliCases, installAgentClis, settingsFor } from '../helpers/agent-clis.js';
import { startMockModelServer, type MockModelServer } from '../fixtures/mock-model-server.mjs';

// Real CLIs start slowly (opencode ~5 s) and some cases wait out conductor's own timeouts: give each test room.
vi.setConfig({ testTimeout: 180_000 });

const installed = await installAgentClis();
const cases = cliCases(installed);

let server: MockModelServer;
beforeAll(async () => {
  server = await startMockModelServer();
});
afterAll(async () => {
  await server?.close();
});

describe('the agent CLIs under test', () => {
  it('are installed from the npm registry: the pinned releases and the newest ones', () => {
    if (!installed.ok) throw new Error(installed.error);
    process.stderr.write(`[real-clis] installed in ${installed.ms} ms: ${installed.sets.map((s) => `${s.name} ${JSON.stringify(s.versions)}`).join('; ')}\n`);
    expect(installed.sets.map((s) => s.name)).toEqual(['pinned', 'newest']);
    for (const cli of CLIS) expect(installed.sets[0]!.versions[cli]).toBe(BUILTINS[cli]!.proven!.from);
    // A release newer than the proven range is tested all the same; once it passes, the range should say so.
    for (const cli of CLIS) {
      const newest = installed.sets[1]!.versions[cli]!;
      const { to } = BUILTINS[cli]!.proven!;
      if (compareVersions(newest, to) > 0) process.stderr.write(`[real-clis] ${cli} ${newest} is past the proven range's end ${to}: when this suite passes, raise proven.to in catalog.ts and docs/providers.md\n`);
    }
  });

  it('fail the suite, with npm\'s reason, when the registry cannot be reached', async () => {
    const port = await closedPort();
    const offline = await installAgentClis({ ...process.env, npm_config_registry: `http://127.0.0.1:${port}/`, npm_config_fetch_retries: '0' });
    expect(offline.ok).toBe(false);
    expect(offline.ok ? '' : offline.error).toMatch(new RegExp(`^the agent CLIs could not be installed: install-agent-clis: npm view \\S+ version \\(is the npm registry reachable\\?\\) failed: .*ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
  });
});

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function call(cli: string, bin: string | undefined, options: { role?: AgentRequest['role']; url?: string; inactivityMs?: number; quotaGraceSeconds?: number; work?: string } = {}) {
  const { settings, model } = settingsFor(cli, options.url ?? server.url);
  const config = normalizeConfig({ providers: { [cli]: { ...settings, ...(options.quotaGraceSeconds ? { quotaGraceSeconds: options.quotaGraceSeconds } : {}) } } });
  const work = options.work ?? gitdir({ 'README.md': '# demo\n' });
  const conductorDir = join(testdir(), '.conductor');
  const request: AgentRequest = {
    role: options.role ?? 'planner-spec',
    taskId: 'T01',
    attempt: 1,
    prompt: 'Write hello.txt containing a greeting, then say what you did.',
    cwd: work,
    model,
    timeouts: { inactivityMs: options.inactivityMs ?? 60_000, hardMs: 120_000, graceMs: 1000 },
  };
  const started = Date.now();
  const result = await runAgentCall(createProvider(cli, config), request, { conductorDir, parentEnv: { PATH: `${bin}${delimiter}${process.env.PATH}`, HOME: testdir() } });
  return { result, work, conductorDir, ms: Date.now() - started };
}

function noProcessLeft(result: AgentResult): void {
  expect(pidsWithMarker('CONDUCTOR_SESSION_ID', result.sessionId)).toEqual([]);
}

describe.each(cases.map((c) => [`${c.cli} ${c.version} (${c.sets})`, c] as const))('real %s CLI', (_name, { cli, bin, installError }) => {
  beforeAll(() => {
    if (installError) throw new Error(installError);
  });

  it('answers a text role: final message, usage, session id, ledger', async () => {
    server.scenario = { kind: 'text', text: 'SPEC: the mock model wrote this.' };
    const { result, conductorDir } = await call(cli, bin);
    expect(result.exit, result.detail).toBe('ok');
    expect(result.finalMessage.trim()).toBe('SPEC: the mock model wrote this.');
    expect(result.usage?.inputTokens).toBeGreaterThan(0);
    expect(result.usage?.outputTokens).toBeGreaterThan(0);
    expect(result.cliSessionId).toBeTruthy();
    if (cli === 'claude' || cli === 'gemini') expect(result.cliSessionId).toBe(result.sessionId);
    const { entries } = await readLedger(conductorDir);
    expect(entries).toEqual([expect.objectContaining({ sessionId: result.sessionId, provider: cli, exit: 'ok', inputTokens: result.usage!.inputTokens })]);
    noProcessLeft(result);
  });

  it('lets a worker write a file in its worktree through a tool call', async () => {
    const work = gitdir({ 'README.md': '# demo\n' });
    // claude, opencode and gemini write to absolute paths; codex runs a command in its working directory.
    server.scenario = { kind: 'write', path: cli === 'codex' ? 'hello.txt' : join(work, 'hello.txt'), content: 'hello from the agent\n', text: 'Wrote hello.txt.' };
    const { result } = await call(cli, bin, { role: 'implementer', work });
    expect(result.exit, result.detail).toBe('ok');
    const file = join(work, 'hello.txt');
    expect(existsSync(file) ? readFileSync(file, 'utf8') : '(missing)').toBe('hello from the agent\n');
    expect(result.finalMessage.trim()).toBe('Wrote hello.txt.');
    noProcessLeft(result);
  });

  it('classifies HTTP 401 as auth', async () => {
    server.scenario = { kind: 'status', status: 401 };
    const { result } = await call(cli, bin, { inactivityMs: 90_000 });
    expect(result.exit, result.detail).toBe('auth');
    noProcessLeft(result);
  });

  it('classifies HTTP 429 as quota', async () => {
    server.scenario = { kind: 'status', status: 429 };
    // A loaded machine can keep opencode from starting for 40 s: the inactivity timeout must not be what ends this call.
    const { result } = await call(cli, bin, { inactivityMs: 90_000, quotaGraceSeconds: 3 });
    expect(result.exit, result.detail).toBe('quota');
    noProcessLeft(result);
  });

  it('stops a CLI that cannot reach its API with conductor\'s own timeout, leaving nothing running', async () => {
    const port = await closedPort();
    const { result, ms } = await call(cli, bin, { url: `http://127.0.0.1:${port}`, inactivityMs: 8000 });
    expect(['hung', 'failed', 'timed-out']).toContain(result.exit);
    expect(ms).toBeLessThan(60_000);
    process.stderr.write(`[real-clis] ${cli}: unreachable API classified as ${result.exit} in ${ms} ms\n`);
    noProcessLeft(result);
  });
});
