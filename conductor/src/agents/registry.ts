// Provider names to providers: a configured `command` wins, then the
// built-ins. Also picks the default provider when the config names none.
import { ConductorError } from '../errors.js';
import type { ConductorConfig } from '../config/types.js';
import { which } from '../util/which.js';
import { existsSync } from 'node:fs';
import { BUILTINS, DEFAULT_PROVIDER_ORDER } from './providers/catalog.js';
import { claudeProvider } from './providers/claude.js';
import { codexProvider } from './providers/codex.js';
import { commandProvider } from './providers/command.js';
import { geminiProvider } from './providers/gemini.js';
import { ollamaProvider } from './providers/ollama.js';
import { opencodeProvider } from './providers/opencode.js';
import { replayProvider } from './recording.js';
import type { Provider } from './types.js';

export interface RegistryOptions {
  /** Directory of recorded sessions, for the replay provider. */
  replayDir?: string;
}

export function createProvider(name: string, config: ConductorConfig, options: RegistryOptions = {}): Provider {
  const settings = config.providers[name] ?? {};
  if (settings.command) return commandProvider(name, { ...settings, command: settings.command });
  switch (name) {
    case 'claude':
      return claudeProvider(settings);
    case 'codex':
      return codexProvider(settings);
    case 'opencode':
      return opencodeProvider(settings);
    case 'gemini':
      return geminiProvider(settings);
    case 'ollama':
      return ollamaProvider(settings);
    case 'replay':
      if (!options.replayDir) throw new ConductorError('USAGE', 'the replay provider needs a directory of recorded sessions', { hint: 'pass --replay DIR' });
      return replayProvider(options.replayDir);
    default:
      throw new ConductorError('CONFIG_INVALID', `unknown provider "${name}"`, { hint: `define it under providers with a command, or use one of ${Object.keys(BUILTINS).join(', ')}` });
  }
}

/** The provider every role uses unless routed elsewhere: the command line's, the configured one, else the first installed CLI. */
export function defaultProviderName(config: ConductorConfig, path: string | undefined = process.env.PATH): string {
  if (config.providerOverride !== undefined) return config.providerOverride;
  if (config.providerChosen) return config.provider;
  const installed = DEFAULT_PROVIDER_ORDER.find((name) => which(BUILTINS[name]!.binary!, path) !== undefined);
  if (installed) return installed;
  throw new ConductorError('USAGE', 'no agent CLI found: none of opencode, claude, codex or gemini is on PATH', {
    hint: 'install one (npm install -g opencode-ai) or set provider in conductor.config.yaml; conductor doctor shows what is available',
  });
}

/**
 * Refuse, before any session starts, a provider the run would use whose program is not installed: a CLI
 * chosen with --provider, in `provider`, `roles` or `routing`, or a configured `command` whose program is
 * missing. Otherwise the run would get as far as that role and fail there, after other sessions had run.
 * `where` says for each provider name what chose it.
 */
export function requireInstalled(config: ConductorConfig, used: ReadonlyMap<string, string>, path: string | undefined = process.env.PATH): void {
  for (const [name, chosenBy] of used) {
    const command = config.providers[name]?.command;
    const program = command ? command[0] : BUILTINS[name]?.binary;
    if (program === undefined || program === '') continue; // HTTP (ollama) and replay providers have no program
    const found = program.includes('/') ? existsSync(program) : which(program, path) !== undefined;
    if (found) continue;
    const pkg = BUILTINS[name]?.npmPackage;
    throw new ConductorError('USAGE', `provider "${name}" (${chosenBy}) is not installed: ${program} is not on PATH`, {
      hint: command ? `install ${program}, or change providers.${name}.command in conductor.config.yaml` : `install it (npm install -g ${pkg ?? name}) or choose another provider; conductor doctor shows what is available`,
    });
  }
}
