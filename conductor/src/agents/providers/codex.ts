// Codex CLI, headless: `codex exec --json … -` with the prompt on stdin (see
// shared/reference/agent-clis.md). JSONL events carry the thread id, the
// agent's messages and per-turn usage; `turn.failed` carries the error.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { classifyErrorText, describeOutcome } from '../classify.js';
import type { ProviderResult } from '../types.js';
import { asNumber, asRecord, cliProvider, jsonLines, privateHome, type CliAdapter } from './cli-provider.js';
import type { ProviderSettings } from '../../config/types.js';

/** Start-up calls home and update checks off; state stays in the call's private CODEX_HOME. */
const CODEX_CONFIG = `check_for_update_on_startup = false

[analytics]
enabled = false

[features]
plugins = false
apps = false
`;

export const codexAdapter: CliAdapter = {
  name: 'codex',
  binary: 'codex',
  async invocation(call, model) {
    const home = privateHome(call);
    const codexHome = join(home, '.codex');
    await mkdir(codexHome, { recursive: true });
    // Its temp dir must not hold CODEX_HOME: codex refuses to make the helper it runs under bubblewrap in one,
    // and its workspace-write sandbox then cannot start a single command (a private HOME lives under /tmp in tests).
    const tmp = join(home, 'tmp');
    await mkdir(tmp, { recursive: true });
    const config = join(codexHome, 'config.toml');
    const existing = await readFile(config, 'utf8').catch(() => '');
    if (!existing) await writeFile(config, CODEX_CONFIG);
    const argv = [
      'codex', 'exec',
      '--json',
      '--skip-git-repo-check',
      '--ephemeral',
      '-C', call.request.cwd,
      '-s', call.request.role === 'implementer' ? 'workspace-write' : 'read-only',
      '-o', call.outputFile,
    ];
    if (model) argv.push('-m', model);
    return { argv, tail: ['-'], input: call.request.prompt, env: { HOME: home, CODEX_HOME: codexHome, TMPDIR: tmp } };
  },
  async parse(outcome, call) {
    const events = jsonLines(outcome.stdout);
    let threadId: string | undefined;
    let lastMessage = '';
    let inputTokens = 0;
    let outputTokens = 0;
    let sawUsage = false;
    let failure: string | undefined;
    for (const event of events) {
      const item = asRecord(event.item);
      if (event.type === 'thread.started' && typeof event.thread_id === 'string') threadId = event.thread_id;
      else if (event.type === 'item.completed' && item?.type === 'agent_message' && typeof item.text === 'string') lastMessage = item.text;
      else if (event.type === 'turn.completed') {
        const usage = asRecord(event.usage);
        if (usage) {
          sawUsage = true;
          inputTokens += asNumber(usage.input_tokens) ?? 0;
          outputTokens += (asNumber(usage.output_tokens) ?? 0) + (asNumber(usage.reasoning_output_tokens) ?? 0);
        }
      } else if (event.type === 'turn.failed') failure = String(asRecord(event.error)?.message ?? 'turn failed');
      else if (event.type === 'error' && typeof event.message === 'string' && !/metadata/i.test(event.message)) failure ??= event.message;
    }
    const written = await readFile(call.outputFile, 'utf8').catch(() => '');
    const finalMessage = written.trim() !== '' ? written : lastMessage;
    const result: ProviderResult = { exit: 'ok', finalMessage, exitCode: outcome.exitCode };
    if (threadId) result.cliSessionId = threadId;
    if (sawUsage) result.usage = { inputTokens, outputTokens };
    if (failure !== undefined || outcome.exitCode !== 0) {
      const text = `${failure ?? ''}\n${outcome.stderrTail}`;
      return { ...result, exit: classifyErrorText(text, 'failed'), detail: failure ?? describeOutcome(outcome) };
    }
    if (finalMessage.trim() === '') return { ...result, exit: 'no-output', detail: 'the agent ended without a message' };
    return result;
  },
};

export const codexProvider = (settings: ProviderSettings = {}) => cliProvider(codexAdapter, settings);
