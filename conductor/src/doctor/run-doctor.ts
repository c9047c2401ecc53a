// `conductor doctor`: what this machine and repository can run — git, the
// providers on PATH and their versions, which key variables are set (names
// only), the gates, the config, where each role is routed, and whether the
// bubblewrap sandbox works here (required when the config asks for it).
import { ROLES, type ConductorConfig } from '../config/types.js';
import { readConfig } from '../config/load-config.js';
import type { Problem } from '../problems.js';
import { detectGates } from '../gates/detect-gates.js';
import type { GateConfig } from '../config/types.js';
import { probe } from '../process/probe.js';
import { checkSandbox, resolveSandbox, type SandboxCheck } from '../process/sandbox.js';
import { which } from '../util/which.js';
import { messageOf } from '../errors.js';
import { BUILTINS, DEFAULT_PROVIDER_ORDER } from '../agents/providers/catalog.js';
import { routeFor } from '../agents/routing.js';
import { checkProven, type ProvenCheck } from '../agents/providers/proven-range.js';

export interface ProviderStatus {
  name: string;
  kind: 'cli' | 'http' | 'command' | 'replay';
  available: boolean;
  path?: string;
  version?: string;
  note?: string;
  /** For a built-in agent CLI: the versions the real-CLI suite has proven, and where this one stands. */
  proven?: ProvenCheck;
}

export interface DoctorReport {
  git: { ok: boolean; version?: string; worktrees: boolean; note?: string };
  providers: ProviderStatus[];
  keys: { name: string; set: boolean }[];
  gates: { gates: GateConfig[]; source: string };
  config: { source: string; valid: boolean; problems: Problem[] };
  defaultProvider?: string;
  routes: { role: string; provider: string; model?: string; available: boolean }[];
  /** bubblewrap: installed, working, whether the config asks for it, and what a run here would use (the run's own line). */
  sandbox: SandboxCheck & { required: boolean; uses: string };
  canRun: boolean;
}

export interface DoctorOptions {
  repoRoot: string;
  cwd: string;
  configPath?: string;
  env?: NodeJS.ProcessEnv;
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  const configResult = await readConfig(options.configPath === undefined ? { repoRoot: options.repoRoot, cwd: options.cwd } : { repoRoot: options.repoRoot, cwd: options.cwd, configPath: options.configPath });
  const config = configResult.config;

  const [git, providers, sandbox] = await Promise.all([checkGit(options.repoRoot), checkProviders(config, env), checkSandbox(env)]);
  const available = new Set(providers.filter((p) => p.available).map((p) => p.name));
  const defaultProvider = config.providerChosen ? config.provider : DEFAULT_PROVIDER_ORDER.find((name) => available.has(name));
  const routes = ROLES.map((role) => {
    const route = routeFor(config, role, undefined, defaultProvider ?? config.provider);
    return { role, provider: route.provider, ...(route.model ? { model: route.model } : {}), available: available.has(route.provider) };
  });
  const keyNames = [...new Set(Object.values(BUILTINS).flatMap((b) => b.keys))].filter((k) => /KEY|TOKEN|CREDENTIALS/.test(k)).sort();
  const gates = config.gates ? { gates: config.gates, source: configResult.source ?? 'config' } : detectedGates(options.repoRoot);
  return {
    git,
    providers,
    keys: keyNames.map((name) => ({ name, set: Boolean(env[name]) })),
    gates,
    config: { source: configResult.source ?? 'defaults (no conductor.config.yaml)', valid: configResult.problems.length === 0, problems: configResult.problems },
    ...(defaultProvider ? { defaultProvider } : {}),
    routes,
    sandbox: { ...sandbox, required: config.sandbox === 'bwrap', uses: await resolveSandbox(config.sandbox, env).then((r) => r.line, (error: unknown) => messageOf(error)) },
    canRun: git.ok && git.worktrees && routes.every((r) => r.available) && (config.sandbox !== 'bwrap' || sandbox.works),
  };
}

function detectedGates(repoRoot: string): DoctorReport['gates'] {
  const found = detectGates(repoRoot);
  return { gates: found.gates, source: found.source ? `detected from ${found.source}` : 'none found' };
}

async function checkGit(repoRoot: string): Promise<DoctorReport['git']> {
  const version = await probe(['git', '--version']);
  if (!version.ok) return { ok: false, worktrees: false, note: 'git is not installed or not on PATH' };
  const text = version.stdout.trim();
  const [major = 0, minor = 0] = (/(\d+)\.(\d+)/.exec(text) ?? []).slice(1).map(Number);
  const recent = major > 2 || (major === 2 && minor >= 17); // `worktree remove` and `--no-track` for worktrees
  const list = await probe(['git', 'worktree', 'list', '--porcelain'], { cwd: repoRoot });
  const note = !recent ? 'git 2.17 or later is needed for worktrees' : !list.ok ? 'not inside a git repository' : undefined;
  return { ok: true, version: text.replace(/^git version /, ''), worktrees: recent && list.ok, ...(note ? { note } : {}) };
}

async function checkProviders(config: ConductorConfig, env: NodeJS.ProcessEnv): Promise<ProviderStatus[]> {
  const checks: Promise<ProviderStatus>[] = [];
  for (const [name, info] of Object.entries(BUILTINS)) {
    const custom = config.providers[name]?.command;
    if (custom) continue; // a configured command replaces the built-in
    if (info.binary) checks.push(checkCli(name, info.binary, env));
    else if (name === 'ollama') checks.push(checkOllama(config.providers.ollama?.baseUrl ?? env.OLLAMA_HOST ?? 'http://127.0.0.1:11434'));
    else checks.push(Promise.resolve({ name, kind: 'replay', available: true, note: 'plays recorded sessions back' }));
  }
  for (const [name, settings] of Object.entries(config.providers)) {
    if (!settings.command) continue;
    const binary = settings.command[0] ?? '';
    const path = binary.includes('/') ? binary : which(binary, env.PATH);
    checks.push(Promise.resolve({ name, kind: 'command', available: path !== undefined, ...(path ? { path } : { note: `${binary} not found on PATH` }) }));
  }
  return Promise.all(checks);
}

async function checkCli(name: string, binary: string, env: NodeJS.ProcessEnv): Promise<ProviderStatus> {
  const path = which(binary, env.PATH);
  if (!path) return { name, kind: 'cli', available: false, note: 'not found on PATH' };
  const result = await probe([path, '--version'], { timeoutMs: 15_000 });
  const version = (/\d+\.\d+\.\d+[\w.-]*/.exec(result.stdout) ?? /\d+\.\d+\.\d+[\w.-]*/.exec(result.stderr))?.[0];
  const proven = checkProven(name, version);
  return { name, kind: 'cli', available: true, path, ...(version ? { version } : { note: 'installed, but --version did not answer' }), ...(proven ? { proven } : {}) };
}

async function checkOllama(baseUrl: string): Promise<ProviderStatus> {
  try {
    const response = await fetch(new URL('/api/version', baseUrl), { signal: AbortSignal.timeout(2000) });
    const body = (await response.json()) as { version?: string };
    return { name: 'ollama', kind: 'http', available: response.ok, ...(body.version ? { version: body.version } : {}), note: baseUrl };
  } catch {
    return { name: 'ollama', kind: 'http', available: false, note: `no server at ${baseUrl}` };
  }
}
