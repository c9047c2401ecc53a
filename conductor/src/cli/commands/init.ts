// conductor init [--force]: scaffold role prompts, a commented config, tasks/,
// specs/ and the .gitignore lines; says what it created and what it skipped.
import { ConductorError } from '../../errors.js';
import { applyScaffold, planScaffold } from '../../init/scaffold.js';
import { findRepoRoot } from '../../util/repo-root.js';
import type { CommandContext } from '../context.js';

const VERB = { create: 'created', overwrite: 'overwrote', append: 'appended to', skip: 'skipped' } as const;

export async function run(ctx: CommandContext): Promise<number> {
  const repoRoot = findRepoRoot(ctx.cwd);
  if (!repoRoot) throw new ConductorError('USAGE', 'not inside a git repository', { hint: 'run conductor init in a git repository (git init creates one)' });
  const steps = planScaffold(repoRoot, ctx.options.force === true);
  await applyScaffold(repoRoot, steps);
  for (const step of steps) ctx.stdout.write(`${VERB[step.action]} ${step.path}${step.detail ? ` (${step.detail})` : ''}\n`);
  const made = steps.filter((s) => s.action !== 'skip').length;
  ctx.stdout.write(`${made} written, ${steps.length - made} skipped; next: edit conductor.config.yaml, then conductor doctor\n`);
  return 0;
}
