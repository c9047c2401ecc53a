// The CLI providers against stand-in binaries that speak each CLI's headless
// format (fixtures/bin): invocation, isolation, parsing and classification.
// The real binaries are exercised by the integration suite.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createProvider, defaultProviderName } from '../src/agents/registry.js';
import { runAgentCall } from '../src/agents/session.js';
import type { AgentRequest } from '../src/agents/types.js';
import { normalizeConfig } from '../src/config/load-config.js';
import { testdir } from './helpers/dirs.js';

const BIN = fileURLToPath(new URL('./fixtures/bin', import.meta.url));
const PATH = `${BIN}${delimiter}${process.env.PATH}`;
const config = normalizeConfig({});

interface Recorded {
  argv: string[];
  env: Record<string, string>;
  files: Record<string, boolean>;
  prompt: string;
}

async function call(cli: string, mode: string, role: AgentRequest['role'] = 'implementer', model?: string) {
  const work = testdir();
  const home = testdir({ '.claude/.credentials.json': '{"token":"x"}' });
  const record = join(testdir(), 'calls.jsonl');
  const conductorDir = join(testdir(), '.conductor');
  const request: AgentRequest = { role, taskId: 'T01', attempt: 1, prompt: 'Implement the token bucket\nmore', cwd: work, timeouts: { inactivityMs: 5000, hardMs: 15_000, graceMs: 300 }, ...(model ? { model } : {}) };
  // The stand-ins read their mode from variables that only a provider's configured env passes through.
  const configured = normalizeConfig({ providers: { [cli]: { env: { FAKE_CLI_MODE: mode, FAKE_CLI_RECORD: record } } } });
  const result = await runAgentCall(createProvider(cli, configured), request, {
    conductorDir,
    parentEnv: { PATH, HOME: home, ANTHROPIC_API_KEY: 'sk-ant-test-key-123456', GITHUB_TOKEN: 'ghp_not-for-agents' },
  });
  const recorded = existsSync(record) ? (JSON.parse(readFileSync(record, 'utf8').trim().split('\n')[0]!) as Recorded) : undefined;
  return { result, recorded, work, conductorDir };
}

const FORBIDDEN_FLAGS = ['-c', '--continue', '-r', '--resume', '--fork-session', '-s', '--session', 'resume', '--fork'];

describe.each(['claude', 'codex', 'opencode', 'gemini'])('%s provider', (cli) => {
  it('runs one fresh headless session and reads the final message and usage', async () => {
    const { result, recorded, work } = await call(cli, 'ok', 'implementer', 'model-x');
    expect(result.exit).toBe('ok');
    expect(result.finalMessage.trim()).toBe('Done: Implement the token bucket');
    expect(result.usage?.inputTokens).toBeGreaterThan(0);
    expect(result.usage?.outputTokens).toBeGreaterThan(0);
    expect(result.cliSessionId).toBeTruthy();
    expect(readFileSync(join(work, `${cli}-was-here.txt`), 'utf8')).toBe('Implement the token bucket\n');
    expect(recorded!.prompt).toBe('Implement the token bucket\nmore');
    // Never a continue/resume/fork flag (codex's -s is its sandbox flag, followed by a mode).
    const flags = recorded!.argv.filter((a, i) => FORBIDDEN_FLAGS.includes(a) && !(cli === 'codex' && a === '-s' && ['workspace-write', 'read-only'].includes(recorded!.argv[i + 1]!)));
    expect(flags).toEqual([]);
    expect(recorded!.argv).toContain('model-x');
  });

  it('keeps its state in a private home under the call directory, deleted afterwards', async () => {
    const { result, recorded, conductorDir } = await call(cli, 'ok');
    const callDir = join(conductorDir, 'sessions', result.sessionId);
    expect(recorded!.env.HOME).toBe(join(callDir, 'state', 'home'));
    expect(existsSync(join(callDir, 'state'))).toBe(false);
    expect(recorded!.env.GITHUB_TOKEN).toBeUndefined();
  });

  it('classifies a rate limit as quota', async () => {
    const { result } = await call(cli, 'quota');
    expect(result.exit).toBe('quota');
  });

  it('classifies bad credentials as auth', async () => {
    const { result } = await call(cli, 'auth');
    expect(result.exit).toBe('auth');
  });
});

describe('provider specifics', () => {
  it('claude: isolated config dir with the login copied, no telemetry, edits only for workers, cost read', async () => {
    const worker = await call('claude', 'ok');
    expect(worker.recorded!.env.CLAUDE_CONFIG_DIR).toBe(join(worker.recorded!.env.HOME!, '.claude'));
    expect(worker.recorded!.files.claudeCredentials).toBe(true);
    expect(worker.recorded!.env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC).toBe('1');
    expect(worker.recorded!.env.ANTHROPIC_API_KEY).toBe('sk-ant-test-key-123456');
    expect(worker.recorded!.argv).toEqual(expect.arrayContaining(['-p', '--output-format', 'json', '--no-session-persistence', '--session-id', worker.result.sessionId, '--permission-mode', 'acceptEdits']));
    expect(worker.result.costUsd).toBe(0.0123);
    expect(worker.result.usage).toEqual({ inputTokens: 150, outputTokens: 40 });
    const planner = await call('claude', 'ok', 'planner-spec');
    expect(planner.recorded!.argv).toEqual(expect.arrayContaining(['--permission-mode', 'default']));
  });

  it('claude: a quota error reported as "success" with is_error is still quota', async () => {
    const { result } = await call('claude', 'quota');
    expect(result).toMatchObject({ exit: 'quota', detail: expect.stringMatching(/^success \(HTTP 429\): API Error: 429/) });
  });

  it('claude: a result that arrives before a lingering process exits is kept', async () => {
    const { result } = await call('claude', 'linger');
    expect(result).toMatchObject({ exit: 'ok', finalMessage: 'Done but lingering' });
  });

  it('codex: private CODEX_HOME with update checks and analytics off, sandbox by role, prompt on stdin', async () => {
    const worker = await call('codex', 'ok');
    expect(worker.recorded!.env.CODEX_HOME).toBe(join(worker.recorded!.env.HOME!, '.codex'));
    expect(worker.recorded!.files.codexConfig).toBe(true);
    expect(worker.recorded!.argv).toEqual(expect.arrayContaining(['exec', '--json', '--ephemeral', '-s', 'workspace-write', '-']));
    expect(worker.result.usage).toEqual({ inputTokens: 500, outputTokens: 75 });
    const reviewer = await call('codex', 'ok', 'reviewer');
    expect(reviewer.recorded!.argv).toEqual(expect.arrayContaining(['-s', 'read-only']));
  });

  it('opencode: private XDG dirs, permissions by role, cost from the steps', async () => {
    const worker = await call('opencode', 'ok');
    expect(worker.recorded!.env.XDG_DATA_HOME).toBe(join(worker.recorded!.env.HOME!, '.local', 'share'));
    expect(JSON.parse(worker.recorded!.env.OPENCODE_PERMISSION!)).toEqual({ edit: 'allow', bash: 'allow', webfetch: 'deny' });
    expect(worker.result).toMatchObject({ costUsd: 0.004, usage: { inputTokens: 340, outputTokens: 60 }, cliSessionId: 'ses_5b8c1d2e3f4a' });
    const planner = await call('opencode', 'ok', 'planner-arch');
    expect(JSON.parse(planner.recorded!.env.OPENCODE_PERMISSION!)).toEqual({ edit: 'deny', bash: 'deny', webfetch: 'deny' });
  });

  it('gemini: trusted workspace, private settings with usage statistics off, approval by role', async () => {
    const worker = await call('gemini', 'ok');
    expect(worker.recorded!.env.GEMINI_CLI_TRUST_WORKSPACE).toBe('true');
    expect(worker.recorded!.files.geminiSettings).toBe(true);
    expect(worker.recorded!.argv).toEqual(expect.arrayContaining(['-o', 'json', '--approval-mode', 'auto_edit', '--session-id', worker.result.sessionId]));
    expect(worker.result.usage).toEqual({ inputTokens: 700, outputTokens: 100 });
  });

  it('reports a CLI that is not installed as not-installed', async () => {
    const result = await runAgentCall(createProvider('claude', config), { role: 'reviewer', attempt: 1, prompt: 'x', cwd: testdir(), timeouts: { inactivityMs: 1000, hardMs: 1000 } }, { conductorDir: join(testdir(), '.c'), parentEnv: { PATH: '/nonexistent' } });
    expect(result).toMatchObject({ exit: 'not-installed', detail: 'command not found: claude' });
  });
});

describe('provider registry', () => {
  it('prefers a configured command over a built-in of the same name', () => {
    const provider = createProvider('claude', normalizeConfig({ providers: { claude: { command: ['my-claude', '{{promptFile}}'] } } }));
    expect(provider.name).toBe('claude');
  });

  it('picks the first installed CLI as the default, opencode first, unless the config chooses', () => {
    const only = testdir();
    mkdirSync(join(only, 'bin'));
    writeFileSync(join(only, 'bin', 'codex'), '#!/bin/sh\n', { mode: 0o755 });
    expect(defaultProviderName(config, join(only, 'bin'))).toBe('codex');
    expect(defaultProviderName(config, BIN)).toBe('opencode');
    expect(defaultProviderName(normalizeConfig({ provider: 'gemini' }), join(only, 'bin'))).toBe('gemini');
    expect(() => defaultProviderName(config, '/nonexistent')).toThrow('no agent CLI found: none of opencode, claude, codex or gemini is on PATH');
  });

  it('rejects an unknown provider name', () => {
    expect(() => createProvider('clade', config)).toThrow('unknown provider "clade"');
  });
});
