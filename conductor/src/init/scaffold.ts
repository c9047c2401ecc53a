// `conductor init`: decide what to write (planScaffold, pure), then write it
// (applyScaffold). Existing files are kept unless forced; .gitignore lines
// are appended only when missing.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { packageRoot, templatePath } from '../paths.js';
import { writeFileAtomically } from '../state/atomic-write.js';
import { configTemplate } from './config-template.js';

// What stays out of git: conductor's state and caches, and a run's live files under tasks/ (archived with the run
// when the next one starts). Kept in step with docs/workflow.md, "Files conductor leaves in a repository"; what a
// user may commit (the backlog, specs/, the repo map and run reports) is left to them. Worktrees live outside the
// checkout (worktree-location.ts): nothing to ignore for them.
export const IGNORED = ['.conductor/', 'tasks/*.status.json', 'tasks/*.context.md', 'tasks/*.notes.md', 'tasks/*.review.json', 'tasks/BACKLOG.md', 'tasks/logs/'];
const HEADER = '# conductor: run state and caches (see docs/workflow.md in the conductor package)';

export interface ScaffoldStep {
  /** Repository-relative path. */
  path: string;
  action: 'create' | 'overwrite' | 'skip' | 'append';
  content: string;
  /** For skips and appends: what to tell the user. */
  detail?: string;
}

/** The files init would write into `repoRoot`, each with what would happen to it. */
export function planScaffold(repoRoot: string, force: boolean): ScaffoldStep[] {
  const agents = join(packageRoot(), '.opencode', 'agent');
  const files: [string, string][] = readdirSync(agents)
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => [`.opencode/agent/${name}`, readFileSync(join(agents, name), 'utf8')]);
  // The request's template, filled in and passed to `conductor run` (at most 5 KB; see docs/workflow.md in the package).
  const request = readFileSync(templatePath('feature-request.md'), 'utf8');
  files.push(['conductor.config.yaml', configTemplate()], ['feature-request.md', request], ['tasks/.gitkeep', ''], ['specs/.gitkeep', '']);
  const steps: ScaffoldStep[] = files.map(([path, content]) => {
    if (!existsSync(join(repoRoot, path))) return { path, action: 'create', content };
    return force ? { path, action: 'overwrite', content } : { path, action: 'skip', content, detail: 'exists; --force overwrites it' };
  });
  steps.push(gitignoreStep(repoRoot));
  return steps;
}

function gitignoreStep(repoRoot: string): ScaffoldStep {
  const path = join(repoRoot, '.gitignore');
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  // `/x/` and `x` ignore what `x/` does here: each counts as present.
  const bare = (line: string) => line.trim().replace(/^\//, '').replace(/\/$/, '');
  const present = new Set(text.split(/\r?\n/).map(bare));
  const missing = IGNORED.filter((line) => !present.has(bare(line)));
  if (missing.length === 0) return { path: '.gitignore', action: 'skip', content: '', detail: 'already ignores conductor\'s state' };
  const lead = text === '' || text.endsWith('\n') ? '' : '\n';
  const header = text.includes(HEADER) ? [] : [HEADER];
  return { path: '.gitignore', action: text === '' ? 'create' : 'append', content: `${lead}${[...header, ...missing].join('\n')}\n`, detail: missing.join(', ') };
}

export async function applyScaffold(repoRoot: string, steps: readonly ScaffoldStep[]): Promise<void> {
  for (const step of steps) {
    if (step.action === 'skip') continue;
    const path = join(repoRoot, step.path);
    await mkdir(dirname(path), { recursive: true });
    const before = step.action === 'append' ? readFileSync(path, 'utf8') : '';
    await writeFileAtomically(path, before + step.content);
  }
}
