// conductor repo-map [--force]
import { relative } from 'node:path';
import { refreshRepoMap } from '../../repo-map/refresh-map.js';
import { formatCount } from '../../util/format.js';
import type { CommandContext } from '../context.js';
import { configOf, repoRootOf } from './shared.js';

export async function run(ctx: CommandContext): Promise<number> {
  const repoRoot = repoRootOf(ctx);
  const { config } = await configOf(ctx, repoRoot);
  const result = await refreshRepoMap(repoRoot, { budgetBytes: config.budgets.repoMapBytes, force: ctx.options.force === true, docsDir: config.docsDir });
  const where = relative(ctx.cwd, result.path) || result.path;
  ctx.stdout.write(`${where}: ${result.rebuilt ? 'rebuilt' : 'up to date'} — ${formatCount(result.files)} tracked files, ${formatCount(result.bytes)} of ${formatCount(config.budgets.repoMapBytes)} bytes\n`);
  return 0;
}
