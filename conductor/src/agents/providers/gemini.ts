// Gemini CLI, headless: `gemini -p … -o json` (see shared/reference/agent-clis.md).
// Settings and sessions live under HOME/.gemini, which each call gets
// privately; exit codes carry the HTTP status & 255 (401 → 145, 429 → 173).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { classifyErrorText, describeOutcome, mentionsQuota } from '../classify.js';
import type { ProviderResult } from '../types.js';
import { asNumber, asRecord, cliProvider, privateHome, promptTooLarge, type CliAdapter } from './cli-provider.js';
import type { ProviderSettings } from '../../config/types.js';

const EXIT_AUTH = new Set([41, 145, 147]); // auth missing, 401, 403
const EXIT_QUOTA = new Set([173]); // 429

export const geminiAdapter: CliAdapter = {
  name: 'gemini',
  binary: 'gemini',
  async invocation(call, model, providerSettings) {
    const home = privateHome(call);
    const settingsFile = join(home, '.gemini', 'settings.json');
    await mkdir(join(home, '.gemini'), { recursive: true });
    const existing = await readFile(settingsFile, 'utf8').catch(() => '');
    const settings = existing ? (JSON.parse(existing) as Record<string, unknown>) : {};
    settings.privacy = { usageStatisticsEnabled: false };
    const apiKey = providerSettings.env?.GEMINI_API_KEY ?? call.parentEnv.GEMINI_API_KEY;
    if (apiKey && !asRecord(settings.security)) settings.security = { auth: { selectedType: 'gemini-api-key' } };
    await writeFile(settingsFile, JSON.stringify(settings, null, 2));
    const argv = ['gemini', '-o', 'json', '--session-id', call.sessionId, '--approval-mode', call.request.role === 'implementer' ? 'auto_edit' : 'default'];
    if (model) argv.push('-m', model);
    return {
      argv,
      tail: ['-p', call.request.prompt],
      env: { HOME: home, GEMINI_CLI_TRUST_WORKSPACE: 'true' },
      isQuotaLine: (line, channel) => channel === 'stderr' && /ApiError|RESOURCE_EXHAUSTED|"code":\s*429/.test(line) && mentionsQuota(line),
    };
  },
  parse(outcome) {
    let body: Record<string, unknown> | undefined;
    const start = outcome.stdout.indexOf('{');
    if (start !== -1) {
      try {
        body = asRecord(JSON.parse(outcome.stdout.slice(start)));
      } catch {
        body = undefined;
      }
    }
    const finalMessage = typeof body?.response === 'string' ? body.response : '';
    const result: ProviderResult = { exit: 'ok', finalMessage, exitCode: outcome.exitCode };
    if (typeof body?.session_id === 'string') result.cliSessionId = body.session_id;
    const models = asRecord(asRecord(body?.stats)?.models);
    if (models) {
      let input = 0;
      let output = 0;
      for (const entry of Object.values(models)) {
        const tokens = asRecord(asRecord(entry)?.tokens);
        input += asNumber(tokens?.prompt) ?? asNumber(tokens?.input) ?? 0;
        output += (asNumber(tokens?.candidates) ?? 0) + (asNumber(tokens?.thoughts) ?? 0);
      }
      result.usage = { inputTokens: input, outputTokens: output };
    }
    const error = asRecord(body?.error);
    if (outcome.exitCode !== 0 || error) {
      const code = outcome.exitCode ?? -1;
      const message = String(error?.message ?? '');
      const exit = EXIT_QUOTA.has(code) ? 'quota' : EXIT_AUTH.has(code) ? 'auth' : classifyErrorText(`${message}\n${outcome.stderrTail}`, 'failed');
      return { ...result, exit, detail: message || describeOutcome(outcome) };
    }
    if (finalMessage.trim() === '') return { ...result, exit: 'no-output', detail: 'the agent returned an empty response' };
    return result;
  },
};

export function geminiProvider(settings: ProviderSettings = {}) {
  const provider = cliProvider(geminiAdapter, settings);
  return { ...provider, run: async (call: Parameters<typeof provider.run>[0]) => promptTooLarge(call) ?? provider.run(call) };
}
