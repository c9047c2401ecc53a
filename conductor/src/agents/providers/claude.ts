// Claude Code, headless: `claude -p --output-format json` (see
// shared/reference/agent-clis.md). One result object on stdout carries the
// final text, session id, usage and cost; `is_error` with subtype "success"
// still means failure, and api_error_status tells quota from auth.
import { join } from 'node:path';
import { classifyErrorText, describeOutcome } from '../classify.js';
import type { ProviderResult } from '../types.js';
import { asNumber, asRecord, cliProvider, jsonLines, privateHome, type CliAdapter } from './cli-provider.js';
import type { ProviderSettings } from '../../config/types.js';

export const claudeAdapter: CliAdapter = {
  name: 'claude',
  binary: 'claude',
  async invocation(call, model) {
    const home = privateHome(call);
    const argv = [
      'claude',
      '-p',
      '--output-format', 'json',
      '--session-id', call.sessionId,
      '--no-session-persistence',
      // Workers edit their throwaway worktree; in default mode other roles' writes are denied.
      '--permission-mode', call.request.role === 'implementer' ? 'acceptEdits' : 'default',
    ];
    if (model) argv.push('--model', model);
    return {
      argv,
      input: call.request.prompt,
      env: {
        HOME: home,
        CLAUDE_CONFIG_DIR: join(home, '.claude'),
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_AUTOUPDATER: '1',
        CLAUDE_CODE_MAX_RETRIES: '2',
      },
      isFinalLine: (line) => line.startsWith('{') && line.includes('"type":"result"'),
    };
  },
  parse(outcome) {
    const result = [...jsonLines(outcome.stdout)].reverse().find((event) => event.type === 'result');
    if (!result) {
      const text = `${outcome.stderrTail}\n${outcome.stdout.slice(-2000)}`;
      return { exit: outcome.exitCode === 0 ? 'no-output' : classifyErrorText(text, 'failed'), finalMessage: '', detail: describeOutcome(outcome), exitCode: outcome.exitCode };
    }
    const finalMessage = typeof result.result === 'string' ? result.result : '';
    const usage = asRecord(result.usage);
    const parsed: ProviderResult = { exit: 'ok', finalMessage, exitCode: outcome.exitCode };
    if (typeof result.session_id === 'string') parsed.cliSessionId = result.session_id;
    const cost = asNumber(result.total_cost_usd);
    if (cost !== undefined) parsed.costUsd = cost;
    if (usage) {
      const input = (asNumber(usage.input_tokens) ?? 0) + (asNumber(usage.cache_creation_input_tokens) ?? 0) + (asNumber(usage.cache_read_input_tokens) ?? 0);
      parsed.usage = { inputTokens: input, outputTokens: asNumber(usage.output_tokens) ?? 0 };
    }
    if (result.is_error === true || (typeof result.subtype === 'string' && result.subtype !== 'success')) {
      const status = asNumber(result.api_error_status);
      const exit = status === 429 || status === 529 ? 'quota' : status === 401 || status === 403 ? 'auth' : classifyErrorText(finalMessage, 'failed');
      return { ...parsed, exit, detail: `${String(result.subtype ?? 'error')}${status ? ` (HTTP ${status})` : ''}: ${finalMessage.slice(0, 300)}` };
    }
    if (finalMessage.trim() === '') return { ...parsed, exit: 'no-output', detail: 'the agent returned an empty result' };
    return parsed;
  },
};

export const claudeProvider = (settings: ProviderSettings = {}) => cliProvider(claudeAdapter, settings);
