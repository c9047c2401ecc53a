// Helpers shared by commands: where the repository is, its config, its backlog.
import { join, relative, resolve } from 'node:path';
import { ConductorError } from '../../errors.js';
import { readFeatureRequest, type FeatureRequest } from '../../intake/feature-request.js';
import { loadConfig, type ConfigResult } from '../../config/load-config.js';
import { findRepoRoot } from '../../util/repo-root.js';
import type { CommandContext } from '../context.js';
import { templatePath } from '../../paths.js';

export const DEFAULT_BACKLOG = join('tasks', 'BACKLOG.yaml');

export function repoRootOf(ctx: CommandContext): string {
  return findRepoRoot(ctx.cwd) ?? ctx.cwd;
}

export async function configOf(ctx: CommandContext, repoRoot: string): Promise<ConfigResult> {
  const configPath = typeof ctx.options.config === 'string' ? ctx.options.config : undefined;
  const result = await loadConfig(configPath === undefined ? { repoRoot, cwd: ctx.cwd } : { repoRoot, cwd: ctx.cwd, configPath });
  for (const warning of result.warnings) ctx.stderr.write(`warning: ${warning}\n`);
  return result;
}

/** The backlog named on the command line, else the repository's tasks/BACKLOG.yaml. */
export function backlogPathOf(ctx: CommandContext, repoRoot: string): { path: string; display: string } {
  const given = ctx.args[0];
  if (given !== undefined) return { path: resolve(ctx.cwd, given), display: given };
  const path = join(repoRoot, DEFAULT_BACKLOG);
  return { path, display: relative(ctx.cwd, path) || path };
}

/** The feature request named on the command line, read within its budget; missing template sections are warned about. */
export async function requestFromArgs(ctx: CommandContext, command: string, budgetBytes: number): Promise<{ request: FeatureRequest; path: string; given: string }> {
  const given = ctx.args[0];
  if (!given) throw new ConductorError('USAGE', 'missing the feature request', { hint: `usage: conductor ${command} <feature-request.md>` });
  const path = resolve(ctx.cwd, given);
  const request = await readFeatureRequest(path, given, budgetBytes);
  const missing = request.missingSections;
  if (missing.length > 0) ctx.stderr.write(`warning: ${given} has no ${missing.join(', ')} section${missing.length === 1 ? '' : 's'} (conductor init writes the template to feature-request.md; it is also ${templatePath('feature-request.md')})\n`);
  return { request, path, given };
}
