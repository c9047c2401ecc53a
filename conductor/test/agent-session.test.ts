import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandProvider, renderArgv } from '../src/agents/providers/command.js';
import { runAgentCall } from '../src/agents/session.js';
import { readLedger, sessionReuseCount } from '../src/agents/ledger.js';
import { recorder, replayProvider } from '../src/agents/recording.js';
import type { AgentRequest } from '../src/agents/types.js';
import { gitdir, testdir } from './helpers/dirs.js';

const AGENT = fileURLToPath(new URL('./fixtures/fake-agent.mjs', import.meta.url));
const fake = (...mode: string[]) => commandProvider('fake', { command: [process.execPath, AGENT, ...mode], model: 'fake-1' });

function request(cwd: string, overrides: Partial<AgentRequest> = {}): AgentRequest {
  return { role: 'implementer', taskId: 'T01', attempt: 1, prompt: '# Task T01: do it\n', cwd, timeouts: { inactivityMs: 3000, hardMs: 10_000, graceMs: 200 }, ...overrides };
}

describe('an agent call', () => {
  it('is a fresh session: prompt file, final message, usage, ledger line, no leftover CLI state', async () => {
    const work = testdir();
    const conductorDir = join(testdir(), '.conductor');
    const result = await runAgentCall(fake('ok'), request(work), { conductorDir });
    expect(result).toMatchObject({ exit: 'ok', provider: 'fake', usage: { inputTokens: 1200, outputTokens: 345 }, promptBytes: 18 });
    expect(result.finalMessage).toContain('final message on stdout');
    expect(readFileSync(join(work, 'agent-output.txt'), 'utf8')).toBe('done: # Task T01: do it\n');
    const callDir = join(conductorDir, 'sessions', result.sessionId);
    expect(readdirSync(callDir).sort()).toEqual(['call.log', 'output.md', 'prompt.md']);
    const { entries } = await readLedger(conductorDir);
    expect(entries).toEqual([
      expect.objectContaining({ sessionId: result.sessionId, role: 'implementer', taskId: 'T01', attempt: 1, provider: 'fake', promptBytes: 18, inputTokens: 1200, outputTokens: 345, exit: 'ok', promptSha256: result.promptSha256 }),
    ]);
  });

  it('takes the final message from CONDUCTOR_OUTPUT_FILE when the agent wrote one', async () => {
    const result = await runAgentCall(fake('ok', 'to-file'), request(testdir()), { conductorDir: join(testdir(), '.conductor') });
    expect(result.finalMessage).toBe('final message from the output file\n');
  });

  it('gives the agent the CONDUCTOR_* variables and only an allowlisted environment', async () => {
    const work = testdir();
    const result = await runAgentCall(fake('echo-env'), request(work, { model: 'm-2' }), {
      conductorDir: join(testdir(), '.conductor'),
      parentEnv: { PATH: process.env.PATH, HOME: '/home/someone', GITHUB_TOKEN: 'ghp_not-for-agents', OPENAI_API_KEY: 'sk-not-routed' },
    });
    const env = JSON.parse(result.finalMessage) as Record<string, string>;
    expect(env).toMatchObject({ CONDUCTOR_ROLE: 'implementer', CONDUCTOR_TASK_ID: 'T01', CONDUCTOR_ATTEMPT: '1', CONDUCTOR_SESSION_ID: result.sessionId, CONDUCTOR_MODEL: 'm-2' });
    expect(env.CONDUCTOR_PROMPT_FILE).toMatch(/prompt\.md$/);
    expect(env.GITHUB_TOKEN).toBeUndefined();
    expect(env.OPENAI_API_KEY).toBeUndefined();
  });

  it.each([
    ['fail', 'failed', 'exit code 3: error: something went wrong'],
    ['auth', 'auth', 'exit code 1: Error: 401 Unauthorized: invalid x-api-key'],
    ['crash', 'crashed', 'killed by SIGSEGV'],
    ['throw', 'failed', "exit code 1: TypeError: Cannot read properties of undefined (reading 'model')"],
    ['wait-tty', 'hung', 'no output for the inactivity timeout: killed as hung'],
  ])('classifies an agent that does %s as %s, with its first real error line and its log', async (mode, exit, detail) => {
    // Only the hanging agent waits out the inactivity timeout; the others get room to start on a loaded machine.
    const inactivityMs = mode === 'wait-tty' ? 400 : 10_000;
    const result = await runAgentCall(fake(mode), request(testdir(), { timeouts: { inactivityMs, hardMs: 20_000, graceMs: 100 } }), { conductorDir: join(testdir(), '.conductor') });
    expect(result).toMatchObject({ exit, detail: mode === 'wait-tty' ? detail : `${detail}; log: ${result.logPath}` });
    if (mode === 'throw') expect(readFileSync(result.logPath, 'utf8')).toMatch(/Node\.js v\d+/); // the footer the old summary showed
  });

  it('reports a CLI that is not installed', async () => {
    const result = await runAgentCall(commandProvider('nope', { command: ['definitely-not-installed-agent'] }), request(testdir()), { conductorDir: join(testdir(), '.conductor') });
    expect(result).toMatchObject({ exit: 'not-installed', detail: 'command not found: definitely-not-installed-agent' });
  });

  it('never reuses a session: two calls, two ids, reuse count 0', async () => {
    const conductorDir = join(testdir(), '.conductor');
    const a = await runAgentCall(fake('ok'), request(testdir()), { conductorDir });
    const b = await runAgentCall(fake('ok'), request(testdir(), { attempt: 2 }), { conductorDir });
    expect(a.sessionId).not.toBe(b.sessionId);
    const { entries } = await readLedger(conductorDir);
    expect(entries).toHaveLength(2);
    expect(sessionReuseCount(entries)).toBe(0);
    expect(sessionReuseCount([...entries, entries[0]!])).toBe(1);
  });
});

describe('command argument templates', () => {
  const values = { promptFile: '/p/prompt.md', outputFile: '/p/out.md', model: 'm', role: 'reviewer', taskId: 'T01', attempt: '2', sessionId: 's', cwd: '/w' };

  it('fills placeholders inside single arguments, never splitting or quoting them', () => {
    expect(renderArgv(['agent', '--prompt-file', '{{promptFile}}', '--flag={{model}}', '$(rm -rf /) {{taskId}}'], values)).toEqual(['agent', '--prompt-file', '/p/prompt.md', '--flag=m', '$(rm -rf /) T01']);
  });

  it('rejects an unknown placeholder instead of passing an empty string', () => {
    expect(() => renderArgv(['agent', '{{promtFile}}'], values)).toThrow(/^bad placeholder in command argument "\{\{promtFile\}\}": /);
  });
});

describe('record and replay', () => {
  it('replays a recorded implementer: same final message, same change in the worktree', async () => {
    const recordDir = join(testdir(), 'recording');
    const first = gitdir({ 'README.md': 'hello\n' });
    const recorded = await runAgentCall(fake('ok'), request(first), { conductorDir: join(testdir(), '.conductor'), afterCall: recorder(recordDir) });
    expect(readdirSync(recordDir)).toEqual(['implementer--T01--a1--1.json']);
    const session = JSON.parse(readFileSync(join(recordDir, 'implementer--T01--a1--1.json'), 'utf8')) as { diff: string };
    expect(session.diff).toContain('+++ b/agent-output.txt');

    const second = gitdir({ 'README.md': 'hello\n' });
    const replayed = await runAgentCall(replayProvider(recordDir), request(second), { conductorDir: join(testdir(), '.conductor') });
    expect(replayed.finalMessage).toBe(recorded.finalMessage);
    expect(replayed.usage).toEqual(recorded.usage);
    expect(readFileSync(join(second, 'agent-output.txt'), 'utf8')).toBe('done: # Task T01: do it\n');
    const status = execFileSync('git', ['status', '--porcelain'], { cwd: second, encoding: 'utf8' });
    expect(status).toBe('?? agent-output.txt\n');
  });

  it('fails a call that was never recorded, naming the missing file', async () => {
    const dir = testdir();
    const result = await runAgentCall(replayProvider(dir), request(testdir(), { role: 'reviewer' }), { conductorDir: join(testdir(), '.conductor') });
    expect(result).toMatchObject({ exit: 'failed', detail: `no recorded session ${join(dir, 'reviewer--T01--a1--1.json')}` });
    expect(existsSync(join(dir, 'reviewer--T01--a1--1.json'))).toBe(false);
  });
});
