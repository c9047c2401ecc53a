// The real agent CLIs for the integration suite: both sets installed by
// scripts/install-agent-clis.js (the pinned releases and the newest on the
// registry now), the (CLI, version) cases to run, and how each CLI is pointed
// at the mock model server. A registry that cannot be reached is an error the
// suite reports as a failed test, never a skip.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BUILTINS } from '../../src/agents/providers/catalog.js';
import type { ProviderSettings } from '../../src/config/types.js';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const INSTALL_SCRIPT = join(ROOT, 'scripts', 'install-agent-clis.js');
export const CLIS = ['claude', 'codex', 'opencode', 'gemini'] as const;
export type CliName = (typeof CLIS)[number];

export interface CliSet {
  name: 'pinned' | 'newest';
  versions: Record<string, string>;
  bin: string;
}

/** One CLI at one version, with the sets it stands for ("pinned", "newest" or both). */
export interface CliCase {
  cli: CliName;
  version: string;
  sets: string;
  /** Its bin directory; undefined when the install failed. */
  bin?: string;
  /** Why it could not be installed. */
  installError?: string;
}

export type Installed = { ok: true; sets: CliSet[]; ms: number } | { ok: false; error: string; ms: number };

/** Run the install script; its stderr's last line says what went wrong. */
export async function installAgentClis(env: NodeJS.ProcessEnv = process.env): Promise<Installed> {
  const started = Date.now();
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [INSTALL_SCRIPT], { encoding: 'utf8', env, timeout: 20 * 60_000 });
    const { sets } = JSON.parse(stdout.trim().split('\n').at(-1)!) as { sets: CliSet[] };
    return { ok: true, sets, ms: Date.now() - started };
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    const said = stderr?.trim().split('\n').filter((line) => line.startsWith('install-agent-clis:')).at(-1);
    return { ok: false, error: `the agent CLIs could not be installed: ${said ?? message.split('\n')[0]}`, ms: Date.now() - started };
  }
}

/**
 * The cases to run: each CLI at its pinned and at its newest version, once per
 * distinct version. When the install failed, the pinned cases and an
 * unresolved newest one each carry the error, so every one of them fails.
 */
export function cliCases(installed: Installed): CliCase[] {
  const cases: CliCase[] = [];
  for (const cli of CLIS) {
    if (!installed.ok) {
      const pinned = BUILTINS[cli]!.proven!.from;
      cases.push({ cli, version: pinned, sets: 'pinned', installError: installed.error }, { cli, version: '(unresolved)', sets: 'newest', installError: installed.error });
      continue;
    }
    for (const set of installed.sets) {
      const version = set.versions[cli]!;
      const same = cases.find((c) => c.cli === cli && c.version === version);
      if (same) same.sets += `, ${set.name}`;
      else cases.push({ cli, version, sets: set.name, bin: set.bin });
    }
  }
  return cases;
}

/** How each CLI is pointed at the mock model server. */
export function settingsFor(cli: string, url: string): { settings: ProviderSettings; model: string } {
  switch (cli) {
    case 'claude':
      return { model: 'claude-mock', settings: { env: { ANTHROPIC_BASE_URL: url, ANTHROPIC_API_KEY: 'sk-ant-mock-key-0000' } } };
    case 'codex':
      return {
        model: 'mock-model',
        settings: {
          env: { MOCK_API_KEY: 'mock-key' },
          args: ['-c', 'model_provider="mock"', '-c', 'model_providers.mock.name="mock"', '-c', `model_providers.mock.base_url="${url}/v1"`, '-c', 'model_providers.mock.wire_api="responses"', '-c', 'model_providers.mock.env_key="MOCK_API_KEY"', '-c', 'model_providers.mock.request_max_retries=0', '-c', 'model_providers.mock.stream_max_retries=0'],
        },
      };
    case 'opencode':
      return {
        model: 'mock/m',
        settings: { env: { OPENCODE_CONFIG_CONTENT: JSON.stringify({ autoupdate: false, share: 'disabled', provider: { mock: { npm: '@ai-sdk/openai-compatible', options: { baseURL: `${url}/v1`, apiKey: 'mock-key' }, models: { m: {} } } } }) } },
      };
    default:
      return { model: 'gemini-mock', settings: { env: { GEMINI_API_KEY: 'mock-key', GOOGLE_GEMINI_BASE_URL: url } } };
  }
}
