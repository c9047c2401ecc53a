// The generic `command` provider (CONTRACT §6): any CLI, from an argument
// template with handlebars placeholders; the final message is what it wrote to
// CONDUCTOR_OUTPUT_FILE, else its stdout.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { ConductorError } from '../../errors.js';
import { buildAgentEnv } from '../../process/agent-env.js';
import { runProcess, type RunOptions } from '../../process/run-process.js';
import { classifyErrorText, classifyOutcome, describeOutcome } from '../classify.js';
import type { CallContext, Provider, ProviderResult, Usage } from '../types.js';

const require = createRequire(import.meta.url);

export interface CommandSettings {
  command: readonly string[];
  model?: string;
  env?: Record<string, string>;
}

export const PLACEHOLDERS = ['promptFile', 'outputFile', 'model', 'role', 'taskId', 'attempt', 'sessionId', 'cwd'] as const;

/** The CONDUCTOR_* variables every agent process gets. */
export function conductorVariables(call: CallContext, model: string | undefined): Record<string, string> {
  return {
    CONDUCTOR_ROLE: call.request.role,
    CONDUCTOR_TASK_ID: call.request.taskId ?? '',
    CONDUCTOR_ATTEMPT: String(call.request.attempt),
    CONDUCTOR_SESSION_ID: call.sessionId,
    CONDUCTOR_PROMPT_FILE: call.promptFile,
    CONDUCTOR_OUTPUT_FILE: call.outputFile,
    CONDUCTOR_MODEL: model ?? '',
    CONDUCTOR_HOME: call.conductorDir,
  };
}

/** The process options every agent call shares: where, how long, how it is cancelled, logged, marked and sandboxed. */
export function callRunOptions(call: CallContext): Omit<RunOptions, 'argv' | 'env'> {
  return {
    cwd: call.request.cwd,
    logPath: call.logPath,
    inactivityMs: call.request.timeouts.inactivityMs,
    hardMs: call.request.timeouts.hardMs,
    graceMs: call.request.timeouts.graceMs,
    ...(call.request.signal ? { signal: call.request.signal } : {}),
    redact: call.redact,
    ...(call.supervisor ? { supervisor: call.supervisor } : {}),
    marker: { name: 'CONDUCTOR_SESSION_ID', value: call.sessionId },
    ...(call.request.sandbox ? { sandbox: { ...call.request.sandbox, writable: [call.request.cwd, call.callDir, ...call.request.sandbox.writable] } } : {}),
  };
}

/** Fill `{{placeholder}}`s in each argument; an unknown placeholder is an error, never an empty string. */
export function renderArgv(template: readonly string[], values: Record<(typeof PLACEHOLDERS)[number], string>): string[] {
  const Handlebars = require('handlebars') as typeof import('handlebars');
  return template.map((arg) => {
    if (!arg.includes('{{')) return arg;
    try {
      return Handlebars.compile(arg, { noEscape: true, strict: true })(values);
    } catch (error) {
      const known = PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ');
      throw new ConductorError('CONFIG_INVALID', `bad placeholder in command argument ${JSON.stringify(arg)}: ${(error as Error).message.split('\n')[0]}`, { hint: `placeholders: ${known}` });
    }
  });
}

export function commandProvider(name: string, settings: CommandSettings): Provider {
  return {
    name,
    async run(call: CallContext): Promise<ProviderResult> {
      const model = call.request.model ?? settings.model;
      const values = {
        promptFile: call.promptFile,
        outputFile: call.outputFile,
        model: model ?? '',
        role: call.request.role,
        taskId: call.request.taskId ?? '',
        attempt: String(call.request.attempt),
        sessionId: call.sessionId,
        cwd: call.request.cwd,
      };
      const argv = renderArgv(settings.command, values);
      const env = buildAgentEnv({ parent: call.parentEnv, set: { ...conductorVariables(call, model), ...settings.env } });
      const outcome = await runProcess({ ...callRunOptions(call), argv, env });
      const written = await readFile(call.outputFile, 'utf8').catch(() => '');
      const finalMessage = written.trim() !== '' ? written : outcome.stdout;
      const usage = usageFromLines(outcome.stdout);
      const base: ProviderResult = { exit: 'ok', finalMessage, exitCode: outcome.exitCode, ...(usage ? { usage } : {}) };

      const early = classifyOutcome(outcome);
      if (early) return { ...base, exit: early, detail: describeOutcome(outcome) };
      if (outcome.exitCode !== 0 && outcome.reason === 'exited') {
        return { ...base, exit: classifyErrorText(`${outcome.stderrTail}\n${outcome.stdout.slice(-4000)}`, 'failed'), detail: describeOutcome(outcome) };
      }
      if (finalMessage.trim() === '') return { ...base, exit: 'no-output', detail: 'the agent exited without a final message' };
      return base;
    },
  };
}

/** The last JSON line reporting token usage (`input_tokens`/`output_tokens`, at top level or under `usage`). */
export function usageFromLines(stdout: string): Usage | undefined {
  let found: Usage | undefined;
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{') || !line.includes('tokens')) continue;
    try {
      const value = JSON.parse(line) as Record<string, unknown>;
      const usage = (typeof value.usage === 'object' && value.usage !== null ? value.usage : value) as Record<string, unknown>;
      if (typeof usage.input_tokens === 'number' && typeof usage.output_tokens === 'number') found = { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens };
    } catch {
      // not JSON after all
    }
  }
  return found;
}
