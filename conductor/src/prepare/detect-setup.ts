// How a task's worktree gets its dependencies (#16 point 1), detected from the
// project's files when conductor.config.yaml names no `setup.command`: one
// install command per ecosystem, offline-first, run in the worktree. For the
// JavaScript package managers an unchanged lockfile needs no install at all:
// node_modules is cloned from the user's checkout (node-modules.ts).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Ecosystem = 'npm' | 'pnpm' | 'yarn' | 'bun' | 'uv' | 'poetry' | 'pip' | 'cargo' | 'go' | 'make';

export interface SetupPlan {
  ecosystem: Ecosystem;
  /** The lockfile whose content, with the manifests', decides whether the user's dependencies fit the worktree. */
  lockfile?: string;
  /** The install run in the worktree when they do not (or when nothing can be cloned). */
  install: string[][];
  /** node_modules can be cloned from the user's checkout while the lockfile and manifests are the same. */
  nodeModules: boolean;
}

/** The ecosystem of the project in `dir`, first match wins: JavaScript lockfiles, Python, Cargo, Go, a Makefile `setup` target. */
export function detectSetup(dir: string): SetupPlan | undefined {
  const has = (name: string) => existsSync(join(dir, name));
  // --prefer-offline: the npm cache first, the registry only for what it lacks.
  if (has('package-lock.json') || has('npm-shrinkwrap.json')) {
    return { ecosystem: 'npm', lockfile: has('package-lock.json') ? 'package-lock.json' : 'npm-shrinkwrap.json', install: [['npm', 'install', '--prefer-offline', '--no-audit', '--no-fund']], nodeModules: true };
  }
  if (has('pnpm-lock.yaml')) return { ecosystem: 'pnpm', lockfile: 'pnpm-lock.yaml', install: [['pnpm', 'install', '--prefer-offline']], nodeModules: true };
  if (has('yarn.lock')) return { ecosystem: 'yarn', lockfile: 'yarn.lock', install: [['yarn', 'install']], nodeModules: true };
  if (has('bun.lock') || has('bun.lockb')) return { ecosystem: 'bun', lockfile: has('bun.lock') ? 'bun.lock' : 'bun.lockb', install: [['bun', 'install']], nodeModules: true };
  if (has('uv.lock')) return { ecosystem: 'uv', lockfile: 'uv.lock', install: [['uv', 'sync', '--offline']], nodeModules: false };
  if (has('poetry.lock')) return { ecosystem: 'poetry', lockfile: 'poetry.lock', install: [['poetry', 'install', '--no-interaction']], nodeModules: false };
  // Plain pip: no install of its own (a venv per worktree would fetch every dependency again); the gates get the
  // worktree's import roots first on PYTHONPATH instead (python-paths.ts), ahead of any editable install's .pth.
  if (has('requirements.txt') || has('pyproject.toml') || has('setup.py')) return { ecosystem: 'pip', install: [], nodeModules: false };
  if (has('Cargo.toml')) return { ecosystem: 'cargo', lockfile: 'Cargo.lock', install: [['cargo', 'fetch']], nodeModules: false };
  if (has('go.mod')) return { ecosystem: 'go', lockfile: 'go.sum', install: [['go', 'mod', 'download']], nodeModules: false };
  if (has('Makefile') && /^setup:/m.test(readFileSync(join(dir, 'Makefile'), 'utf8'))) return { ecosystem: 'make', install: [['make', 'setup']], nodeModules: false };
  return undefined;
}
