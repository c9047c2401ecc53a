// Provider names to providers: a configured `command` wins, then the
// built-ins. Also picks the default provider when the config names none.
import { ConductorError } from '../errors.js';
import type { ConductorConfig } from '../config/types.js';
import { which } from '../util/which.js';
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
