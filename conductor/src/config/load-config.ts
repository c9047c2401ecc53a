// conductor.config.yaml: read → schema-check → normalise → cross-check.
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ConductorError } from '../errors.js';
import { formatPath, sortProblems, type Problem } from '../problems.js';
import { schemaErrors } from '../schema/validators.js';
import { schemaProblems } from '../schema/schema-problems.js';
import { loadYamlFile, type LoadedYaml, type YamlPath } from '../yaml/load-yaml.js';
import { didYouMean } from '../util/did-you-mean.js';
import { BUILTIN_PROVIDERS, DEFAULT_CONFIG, ROLES, type ConductorConfig } from './types.js';
import { docPath } from '../paths.js';

export const CONFIG_FILE = 'conductor.config.yaml';

export interface ConfigResult {
  config: ConductorConfig;
  /** The file read, or undefined when defaults are used. */
  source: string | undefined;
  warnings: string[];
  problems: Problem[];
}

export interface ConfigOptions {
  repoRoot: string;
  /** `--config FILE`: must exist. */
  configPath?: string;
  cwd?: string;
}

export async function readConfig(options: ConfigOptions): Promise<ConfigResult> {
  const cwd = options.cwd ?? process.cwd();
  const warnings: string[] = [];
  let path: string;
  if (options.configPath !== undefined) {
    path = resolve(cwd, options.configPath);
    if (!existsSync(path)) {
      throw new ConductorError('INPUT_INVALID', `config file not found: ${options.configPath}`, { hint: 'check the path given to --config' });
    }
  } else {
    path = join(options.repoRoot, CONFIG_FILE);
    if (!existsSync(path)) {
      if (existsSync(join(options.repoRoot, 'conductor.config.yml'))) warnings.push(`conductor.config.yml is ignored; rename it to ${CONFIG_FILE}`);
      return { config: structuredClone(DEFAULT_CONFIG), source: undefined, warnings, problems: [] };
    }
  }
  const display = relative(cwd, path) || path;
  const loaded = await loadYamlFile(path, display);
  const problems = [...loaded.problems];
  if (loaded.fatal) return { config: structuredClone(DEFAULT_CONFIG), source: display, warnings, problems: sortProblems(problems) };

  const raw = loaded.value ?? {}; // an empty file means "all defaults"
  problems.push(...schemaProblems(schemaErrors('config', raw), loaded));
  if (problems.length > 0) return { config: structuredClone(DEFAULT_CONFIG), source: display, warnings, problems: sortProblems(problems) };

  const config = normalizeConfig(raw as Partial<ConductorConfig>);
  problems.push(...crossCheck(config, loaded));
  return { config, source: display, warnings, problems: sortProblems(problems) };
}

/** `readConfig`, failing with exit code 2 on any problem. */
export async function loadConfig(options: ConfigOptions): Promise<ConfigResult> {
  const result = await readConfig(options);
  if (result.problems.length > 0) {
    throw new ConductorError('CONFIG_INVALID', `${result.source ?? CONFIG_FILE} is not valid`, { problems: result.problems, hint: `see ${docPath('CONFIG_SCHEMA.md')}` });
  }
  return result;
}

export function normalizeConfig(raw: Partial<ConductorConfig>): ConductorConfig {
  const d = DEFAULT_CONFIG;
  return {
    provider: raw.provider ?? d.provider,
    providerChosen: raw.provider !== undefined,
    roles: raw.roles ?? {},
    routing: raw.routing ?? [],
    providers: raw.providers ?? {},
    gates: raw.gates,
    gates_after_merge: raw.gates_after_merge ?? d.gates_after_merge,
    checkpoints: raw.checkpoints ?? [...d.checkpoints],
    concurrency: raw.concurrency ?? d.concurrency,
    budgets: { ...d.budgets, ...raw.budgets, maxCostUsd: { ...raw.budgets?.maxCostUsd } },
    pricing: raw.pricing ?? {},
    attempts: raw.attempts ?? d.attempts,
    review: { ...d.review, ...raw.review },
    timeouts: { ...d.timeouts, ...raw.timeouts },
    sandbox: raw.sandbox ?? d.sandbox,
    docsDir: (raw.docsDir ?? d.docsDir).replace(/\/+$/, ''),
    ...(raw.worktreeDir !== undefined ? { worktreeDir: raw.worktreeDir } : {}),
    ...(raw.setup !== undefined ? { setup: raw.setup } : {}),
    ...(raw.executor !== undefined ? { executor: raw.executor } : {}),
  };
}

function crossCheck(config: ConductorConfig, loaded: LoadedYaml): Problem[] {
  const problems: Problem[] = [];
  const defined = Object.keys(config.providers);
  const known = [...BUILTIN_PROVIDERS, ...defined];
  const check = (name: string | undefined, path: YamlPath) => {
    if (name === undefined || known.includes(name)) return;
    const guess = didYouMean(name, known);
    problems.push({
      file: loaded.file,
      ...loaded.locate(path),
      path: formatPath(path),
      kind: 'unknown-provider',
      message: `unknown provider "${name}"`,
      hint: guess ? `did you mean "${guess}"?` : `define it under providers with a command, or use one of ${BUILTIN_PROVIDERS.join(', ')}`,
    });
  };
  check(config.provider, ['provider']);
  for (const role of ROLES) check(config.roles[role]?.provider, ['roles', role, 'provider']);
  config.routing.forEach((rule, i) => check(rule.use.provider, ['routing', i, 'use', 'provider']));
  for (const name of defined) {
    const builtin = (BUILTIN_PROVIDERS as readonly string[]).includes(name);
    if (!builtin && !config.providers[name]?.command) {
      problems.push({
        file: loaded.file,
        ...loaded.locate(['providers', name], 'key'),
        path: formatPath(['providers', name]),
        kind: 'missing-key',
        message: `provider "${name}" is not built in, so it needs a command`,
        hint: 'e.g. command: ["my-agent", "--prompt-file", "{{promptFile}}"]',
      });
    }
  }
  return problems;
}
