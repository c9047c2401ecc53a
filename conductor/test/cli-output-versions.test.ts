// conductor's parsing of each agent CLI's machine output, proven offline on
// output recorded from the real CLIs at both ends of their proven range
// (fixtures/cli-output/<cli>-<version>-<case>.jsonl, stdout of a call to the
// mock model server: a text reply and an HTTP 429). Claude Code 2.1.332 moved
// `type` to the end of its result object and added fields; the real-CLI suite
// proves the same against the live binaries.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { claudeAdapter } from '../src/agents/providers/claude.js';
import { codexAdapter } from '../src/agents/providers/codex.js';
import type { CliAdapter } from '../src/agents/providers/cli-provider.js';
import type { CallContext } from '../src/agents/types.js';
import type { RunOutcome } from '../src/process/run-process.js';
import { BUILTINS } from '../src/agents/providers/catalog.js';
import { testdir } from './helpers/dirs.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/cli-output/${name}.jsonl`, import.meta.url), 'utf8');

function context(): CallContext {
  const dir = testdir();
  return {
    request: { role: 'planner-spec', taskId: 'T01', attempt: 1, prompt: 'Say something.', cwd: dir, timeouts: { inactivityMs: 1000, hardMs: 1000, graceMs: 100 } },
    sessionId: 'session',
    callDir: dir,
    conductorDir: dir,
    promptFile: `${dir}/prompt.md`,
    outputFile: `${dir}/output.md`,
    logPath: `${dir}/call.log`,
    stateDir: `${dir}/state`,
    parentEnv: {},
    redact: (text) => text,
  };
}

async function parse(adapter: CliAdapter, stdout: string, exitCode: number) {
  const outcome: RunOutcome = { reason: 'exited', exitCode, signal: null, stdout, stdoutTruncated: false, stderrTail: '', stderrHead: '', durationMs: 1, logPath: '', logTruncated: false };
  return adapter.parse(outcome, context());
}

const { from: claudeFrom, to: claudeTo } = BUILTINS.claude!.proven!;
const { from: codexFrom, to: codexTo } = BUILTINS.codex!.proven!;

describe.each([claudeFrom, claudeTo])('claude %s output', (version) => {
  it('gives the final message, session id, usage and cost of a text reply, and its result line ends the call', async () => {
    const stdout = fixture(`claude-${version}-text`);
    const result = await parse(claudeAdapter, stdout, 0);
    expect(result).toMatchObject({ exit: 'ok', finalMessage: 'SPEC: the mock model wrote this.', usage: { inputTokens: 120, outputTokens: 30 } });
    expect(result.cliSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.costUsd).toBeGreaterThan(0);
    const invocation = await claudeAdapter.invocation(context(), 'claude-mock', {});
    expect(stdout.trim().split('\n').map((line) => invocation.isFinalLine!(line))).toEqual([true]);
  });

  it('classifies an HTTP 429 reported as "success" with is_error as quota', async () => {
    const result = await parse(claudeAdapter, fixture(`claude-${version}-429`), 1);
    expect(result).toMatchObject({ exit: 'quota', detail: expect.stringContaining('(HTTP 429)') });
  });
});

describe.each([codexFrom, codexTo])('codex %s output', (version) => {
  it('gives the final message, thread id and usage of a text reply', async () => {
    const result = await parse(codexAdapter, fixture(`codex-${version}-text`), 0);
    expect(result).toMatchObject({ exit: 'ok', finalMessage: 'SPEC: the mock model wrote this.', usage: { inputTokens: 140, outputTokens: 25 } });
    expect(result.cliSessionId).toBeTruthy();
  });

  it('classifies a failed turn after HTTP 429 as quota', async () => {
    const result = await parse(codexAdapter, fixture(`codex-${version}-429`), 1);
    expect(result).toMatchObject({ exit: 'quota', detail: 'exceeded retry limit, last status: 429 Too Many Requests' });
  });
});
