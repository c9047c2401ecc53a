// The providers against the real agent CLIs, installed at pinned versions from
// the npm registry (scripts/install-agent-clis.js), talking to a mock model
// server on 127.0.0.1 — never the internet. Proves the flags, the output
// parsing, session ids, usage, a tool call that writes a file in the worktree,
// and failure classification on the real binaries.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createProvider } from '../../src/agents/registry.js';
import { runAgentCall } from '../../src/agents/session.js';
import { readLedger } from '../../src/agents/ledger.js';
import type { AgentRequest, AgentResult } from '../../src/agents/types.js';
import { normalizeConfig } from '../../src/config/load-config.js';
import type { ProviderSettings } from '../../src/config/types.js';
import { pidsWithMarker } from '../../src/process/kill-group.js';
import { gitdir, testdir } from '../helpers/dirs.js';
import { startMockModelServer, type MockModelServer } from '../fixtures/mock-model-server.mjs';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Install the pinned CLIs; where that is impossible, the suite is skipped with the reason. */
function installClis(): { bin?: string; reason?: string } {
  try {
    const out = execFileSync(process.execPath, [join(ROOT, 'scripts', 'install-agent-clis.js')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10 * 60_000 });
    return { bin: out.trim().split('\n').at(-1)! };
  } catch (error) {
    return { reason: `the agent CLIs could not be installed from the npm registry: ${(error as Error).message.split('\n')[0]}` };
  }
}

// Real CLIs start slowly (opencode ~5 s) and some cases wait out conductor's own timeouts: give each test room.
vi.setConfig({ testTimeout: 120_000 });

const installed = installClis();
if (installed.reason) process.stderr.write(`\n[real-clis] SKIPPED: ${installed.reason}\n\n`);

let server: MockModelServer;
beforeAll(async () => {
  server = await startMockModelServer();
});
afterAll(async () => {
  await server?.close();
});

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** How each CLI is pointed at the mock model server. */
function settingsFor(cli: string, url: string): { settings: ProviderSettings; model: string } {
  switch (cli) {
    case 'claude':
      return { model: 'claude-mock', settings: { env: { ANTHROPIC_BASE_URL: url, ANTHROPIC_API_KEY: 'sk-ant-mock-key-0000' } } };
    case 'codex':
      return {
        model: 'mock-model',
        settings: {
          env: { MOCK_API_KEY: 'mock-key' },
          args: ['-c', 'model_provider="mock"', '-c', 'model_providers.mock.name="mock"', '-c', `model_providers.mock.base_url="${url}/v1"`, '-c', 'model_providers.mock.wire_api="responses"', '-c', 'model_providers.mock.env_key="MOCK_API_KEY"', '-c', 'model_providers.mock.request_max_retries=0', '-c', 'model_providers.mock.stream_max_retries=0'],
        },
      };
    case 'opencode':
      return {
        model: 'mock/m',
        settings: { env: { OPENCODE_CONFIG_CONTENT: JSON.stringify({ autoupdate: false, share: 'disabled', provider: { mock: { npm: '@ai-sdk/openai-compatible', options: { baseURL: `${url}/v1`, apiKey: 'mock-key' }, models: { m: {} } } } }) } },
      };
    default:
      return { model: 'gemini-mock', settings: { env: { GEMINI_API_KEY: 'mock-key', GOOGLE_GEMINI_BASE_URL: url } } };
  }
}

async function call(cli: string, options: { role?: AgentRequest['role']; url?: string; inactivityMs?: number; quotaGraceSeconds?: number; work?: string } = {}) {
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
  const result = await runAgentCall(createProvider(cli, config), request, { conductorDir, parentEnv: { PATH: `${installed.bin}${delimiter}${process.env.PATH}`, HOME: testdir() } });
  return { result, work, conductorDir, ms: Date.now() - started };
}

function noProcessLeft(result: AgentResult): void {
  expect(pidsWithMarker('CONDUCTOR_SESSION_ID', result.sessionId)).toEqual([]);
}

describe.skipIf(installed.bin === undefined).each(['claude', 'codex', 'opencode', 'gemini'])('real %s CLI', (cli) => {
  it('answers a text role: final message, usage, session id, ledger', async () => {
    server.scenario = { kind: 'text', text: 'SPEC: the mock model wrote this.' };
    const { result, conductorDir } = await call(cli);
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
    const { result } = await call(cli, { role: 'implementer', work });
    expect(result.exit, result.detail).toBe('ok');
    const file = join(work, 'hello.txt');
    expect(existsSync(file) ? readFileSync(file, 'utf8') : '(missing)').toBe('hello from the agent\n');
    expect(result.finalMessage.trim()).toBe('Wrote hello.txt.');
    noProcessLeft(result);
  });

  it('classifies HTTP 401 as auth', async () => {
    server.scenario = { kind: 'status', status: 401 };
    const { result } = await call(cli, { inactivityMs: 30_000 });
    expect(result.exit, result.detail).toBe('auth');
    noProcessLeft(result);
  });

  it('classifies HTTP 429 as quota', async () => {
    server.scenario = { kind: 'status', status: 429 };
    const { result } = await call(cli, { inactivityMs: 30_000, quotaGraceSeconds: 3 });
    expect(result.exit, result.detail).toBe('quota');
    noProcessLeft(result);
  });

  it('stops a CLI that cannot reach its API with conductor\'s own timeout, leaving nothing running', async () => {
    const port = await closedPort();
    const { result, ms } = await call(cli, { url: `http://127.0.0.1:${port}`, inactivityMs: 8000 });
    expect(['hung', 'failed', 'timed-out']).toContain(result.exit);
    expect(ms).toBeLessThan(60_000);
    process.stderr.write(`[real-clis] ${cli}: unreachable API classified as ${result.exit} in ${ms} ms\n`);
    noProcessLeft(result);
  });
});
