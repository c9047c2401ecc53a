// opencode, headless: `opencode run --format json` with the prompt on stdin
// (see shared/reference/agent-clis.md). Its state lives under the XDG
// directories, which each call gets privately; JSON events carry text, usage
// and cost per step, and errors with their HTTP status.
import { join } from 'node:path';
import { classifyErrorText, describeOutcome, mentionsQuota } from '../classify.js';
import type { ProviderResult } from '../types.js';
import { asNumber, asRecord, cliProvider, jsonLines, privateHome, type CliAdapter } from './cli-provider.js';
import type { ProviderSettings } from '../../config/types.js';

export const opencodeAdapter: CliAdapter = {
  name: 'opencode',
  binary: 'opencode',
  async invocation(call, model) {
    const home = privateHome(call);
    const worker = call.request.role === 'implementer';
    // --print-logs: its retries against a rate limit show on stderr instead of only in a log file.
    const argv = ['opencode', 'run', '--format', 'json', '--print-logs', '--log-level', 'WARN'];
    if (model) argv.push('-m', model);
    return {
      argv,
      input: call.request.prompt,
      env: {
        HOME: home,
        XDG_DATA_HOME: join(home, '.local', 'share'),
        XDG_CONFIG_HOME: join(home, '.config'),
        XDG_STATE_HOME: join(home, '.local', 'state'),
        XDG_CACHE_HOME: join(home, '.cache'),
        OPENCODE_DISABLE_MODELS_FETCH: '1',
        OPENCODE_DISABLE_AUTOUPDATE: '1',
        OPENCODE_PERMISSION: JSON.stringify({ edit: worker ? 'allow' : 'deny', bash: worker ? 'allow' : 'deny', webfetch: 'deny' }),
      },
      isQuotaLine: (line, channel) => channel === 'stderr' && /level=ERROR/.test(line) && mentionsQuota(line),
    };
  },
  parse(outcome) {
    let sessionId: string | undefined;
    let text = '';
    let stepText = '';
    let inputTokens = 0;
    let outputTokens = 0;
    let cost: number | undefined;
    let sawUsage = false;
    let failure: { message: string; status?: number } | undefined;
    for (const event of jsonLines(outcome.stdout)) {
      if (typeof event.sessionID === 'string') sessionId = event.sessionID;
      const part = asRecord(event.part);
      if (event.type === 'step_start') stepText = '';
      else if (event.type === 'text' && typeof part?.text === 'string') {
        stepText += part.text;
        text = stepText;
      } else if (event.type === 'step_finish' && part) {
        const tokens = asRecord(part.tokens);
        if (tokens) {
          sawUsage = true;
          const cache = asRecord(tokens.cache);
          inputTokens += (asNumber(tokens.input) ?? 0) + (asNumber(cache?.read) ?? 0) + (asNumber(cache?.write) ?? 0);
          outputTokens += (asNumber(tokens.output) ?? 0) + (asNumber(tokens.reasoning) ?? 0);
        }
        const stepCost = asNumber(part.cost);
        if (stepCost !== undefined) cost = (cost ?? 0) + stepCost;
      } else if (event.type === 'error') {
        const error = asRecord(event.error);
        const data = asRecord(error?.data);
        const message = String(data?.message ?? error?.name ?? 'error');
        const status = asNumber(data?.statusCode);
        failure = status === undefined ? { message } : { message, status };
      }
    }
    const result: ProviderResult = { exit: 'ok', finalMessage: text, exitCode: outcome.exitCode };
    if (sessionId) result.cliSessionId = sessionId;
    if (sawUsage) result.usage = { inputTokens, outputTokens };
    if (cost !== undefined) result.costUsd = cost;
    if (failure || outcome.exitCode !== 0) {
      const status = failure?.status;
      const exit = status === 429 ? 'quota' : status === 401 || status === 403 ? 'auth' : classifyErrorText(`${failure?.message ?? ''}\n${outcome.stderrTail}`, 'failed');
      return { ...result, exit, detail: failure ? `${failure.message}${status ? ` (HTTP ${status})` : ''}` : describeOutcome(outcome) };
    }
    if (text.trim() === '') return { ...result, exit: 'no-output', detail: 'the agent ended without a message' };
    return result;
  },
};

export const opencodeProvider = (settings: ProviderSettings = {}) => cliProvider(opencodeAdapter, settings);
