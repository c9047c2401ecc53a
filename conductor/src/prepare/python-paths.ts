// A Python project's own import packages and the directories they import from
// (`src/` in the src layout, else the project root). The gates get those
// directories of the worktree first on PYTHONPATH, which Python searches
// before site-packages and so before any editable install's .pth that points
// at the user's checkout.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

export interface PythonLayout {
  /** Import roots, relative to the project: `src` and/or `.`. */
  roots: string[];
  /** Top-level import packages found under them. */
  packages: string[];
}

const NOT_OURS = new Set(['tests', 'test', 'docs', 'build', 'dist', 'node_modules']);

async function packagesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.') && !NOT_OURS.has(e.name) && existsSync(join(dir, e.name, '__init__.py'))).map((e) => e.name).sort();
}

export async function pythonLayout(dir: string): Promise<PythonLayout> {
  const layout: PythonLayout = { roots: [], packages: [] };
  for (const root of ['src', '.']) {
    const found = await packagesIn(join(dir, root));
    if (found.length === 0) continue;
    layout.roots.push(root);
    layout.packages.push(...found);
  }
  return layout;
}

/** PYTHONPATH with the worktree's import roots first. */
export function pythonPathFor(worktree: string, layout: PythonLayout, current: string | undefined): string {
  return [...layout.roots.map((root) => join(worktree, root)), ...(current ? [current] : [])].join(delimiter);
}
