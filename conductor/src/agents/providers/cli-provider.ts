// Shared shape of the agent-CLI providers (claude, codex, opencode, gemini):
// prepare a private state directory with only the user's credentials copied
// in, build the headless invocation, run it under conductor's process control,
// and let the provider read its CLI's machine output.
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { buildAgentEnv } from '../../process/agent-env.js';
import { runProcess, type RunOutcome } from '../../process/run-process.js';
import { classifyOutcome, describeOutcome } from '../classify.js';
import type { CallContext, Provider, ProviderResult } from '../types.js';
import { BUILTINS } from './catalog.js';
import { callRunOptions, conductorVariables } from './command.js';
import type { ProviderSettings } from '../../config/types.js';

export interface Invocation {
  argv: string[];
  /** Arguments that must come last (a prompt marker); `providers.<name>.args` go before them. */
  tail?: string[];
  /** Variables set for this CLI (state dirs, switches); CONDUCTOR_* are added. */
  env: Record<string, string>;
  input?: string;
  /** A stdout line that means the result is complete (for CLIs that linger). */
  isFinalLine?: (line: string) => boolean;
  /**
   * A log line of the CLI's own (never the agent's work) saying it is retrying
   * against a rate limit; such a call is stopped after a grace period instead
   * of retrying until the hard timeout.
   */
  isQuotaLine?: (line: string, channel: 'stdout' | 'stderr') => boolean;
}

export interface CliAdapter {
  name: string;
  binary: string;
  /** Prepare files in the private state dir and describe the call. */
  invocation(call: CallContext, model: string | undefined, settings: ProviderSettings): Promise<Invocation>;
  /** Read the CLI's output after a run that exited or finished. */
  parse(outcome: RunOutcome, call: CallContext): Promise<ProviderResult> | ProviderResult;
}

/** Prompts go on the command line; past this size they would hit the kernel's per-argument limit. */
export const MAX_ARGV_PROMPT = 120 * 1024;

export function cliProvider(adapter: CliAdapter, settings: ProviderSettings = {}): Provider {
  return {
    name: adapter.name,
    async run(call: CallContext): Promise<ProviderResult> {
      const model = call.request.model ?? settings.model;
      await copyCredentials(adapter.name, call);
      const invocation = await adapter.invocation(call, model, settings);
      const env = buildAgentEnv({
        parent: call.parentEnv,
        passThrough: BUILTINS[adapter.name]?.keys ?? [],
        set: { ...invocation.env, ...conductorVariables(call, model), ...settings.env },
      });
      const outcome = await runProcess({
        ...callRunOptions(call),
        argv: [...invocation.argv, ...(settings.args ?? []), ...(invocation.tail ?? [])],
        env,
        ...(invocation.input !== undefined ? { input: invocation.input } : {}),
        onLine: (line, channel) => {
          if (channel === 'stdout' && invocation.isFinalLine?.(line)) return 'finished';
          if (invocation.isQuotaLine?.(line, channel)) return 'quota';
          return undefined;
        },
        ...(settings.quotaGraceSeconds !== undefined ? { quotaGraceMs: settings.quotaGraceSeconds * 1000 } : {}),
      });
      const early = classifyOutcome(outcome);
      if (early && early !== 'crashed') return { exit: early, finalMessage: '', detail: describeOutcome(outcome), exitCode: outcome.exitCode };
      const parsed = await adapter.parse(outcome, call);
      if (early === 'crashed') return { ...parsed, exit: 'crashed', detail: describeOutcome(outcome) };
      return parsed;
    },
  };
}

/** The user's logged-in credentials, and nothing else of theirs, into the call's private home. */
async function copyCredentials(provider: string, call: CallContext): Promise<void> {
  const home = call.parentEnv.HOME;
  if (!home) return;
  for (const file of BUILTINS[provider]?.credentialFiles ?? []) {
    const target = join(call.stateDir, 'home', file);
    try {
      await mkdir(dirname(target), { recursive: true });
      await copyFile(join(home, file), target);
    } catch {
      // not logged in that way
    }
  }
}

/** The private home of a call: HOME for the CLI, with the copied credentials. */
export function privateHome(call: CallContext): string {
  return join(call.stateDir, 'home');
}

export function promptTooLarge(call: CallContext): ProviderResult | undefined {
  const bytes = Buffer.byteLength(call.request.prompt);
  if (bytes <= MAX_ARGV_PROMPT) return undefined;
  return { exit: 'failed', finalMessage: '', detail: `the prompt is ${bytes} bytes, over the ${MAX_ARGV_PROMPT}-byte limit for a command-line argument` };
}

/** Parse JSON Lines output, skipping anything that is not a JSON object. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (const line of stdout.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    try {
      const value = JSON.parse(trimmed) as unknown;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) events.push(value as Record<string, unknown>);
    } catch {
      // a progress line that happens to start with a brace
    }
  }
  return events;
}

export const asNumber = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
export const asRecord = (value: unknown): Record<string, unknown> | undefined => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);
