// The project's own checks, detected from its build files when the config
// names none: package.json scripts, Cargo.toml, go.mod, pyproject.toml, Makefile.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GateConfig } from '../config/types.js';

export interface DetectedGates {
  gates: GateConfig[];
  /** The file they came from, for messages. */
  source: string | undefined;
}

const NPM_PLACEHOLDER_TEST = /no test specified/;

export function detectGates(repoRoot: string): DetectedGates {
  const read = (name: string) => {
    try {
      return readFileSync(join(repoRoot, name), 'utf8');
    } catch {
      return undefined;
    }
  };
  const pkg = read('package.json');
  if (pkg !== undefined) {
    const gates = packageJsonGates(pkg, packageManager(repoRoot));
    if (gates.length > 0) return { gates, source: 'package.json' };
  }
  if (existsSync(join(repoRoot, 'Cargo.toml'))) return { gates: [{ name: 'test', run: ['cargo', 'test'] }], source: 'Cargo.toml' };
  if (existsSync(join(repoRoot, 'go.mod'))) {
    return { gates: [{ name: 'test', run: ['go', 'test', './...'] }, { name: 'vet', run: ['go', 'vet', './...'] }], source: 'go.mod' };
  }
  const pyproject = read('pyproject.toml');
  if (pyproject !== undefined) {
    const gates: GateConfig[] = [];
    if (/pytest/.test(pyproject)) gates.push({ name: 'test', run: ['python3', '-m', 'pytest'] });
    if (/\bruff\b/.test(pyproject)) gates.push({ name: 'lint', run: ['ruff', 'check', '.'] });
    if (/\bmypy\b/.test(pyproject)) gates.push({ name: 'typecheck', run: ['mypy', '.'] });
    if (gates.length > 0) return { gates, source: 'pyproject.toml' };
  }
  const makefile = read('Makefile');
  if (makefile !== undefined) {
    const targets = ['test', 'lint', 'check'].filter((t) => new RegExp(`^${t}:`, 'm').test(makefile));
    if (targets.length > 0) return { gates: targets.map((t) => ({ name: t, run: ['make', t] })), source: 'Makefile' };
  }
  return { gates: [], source: undefined };
}

function packageManager(repoRoot: string): 'npm' | 'pnpm' | 'yarn' | 'bun' {
  if (existsSync(join(repoRoot, 'pnpm-lock.yaml'))) return 'pnpm';
  if (existsSync(join(repoRoot, 'yarn.lock'))) return 'yarn';
  if (existsSync(join(repoRoot, 'bun.lockb')) || existsSync(join(repoRoot, 'bun.lock'))) return 'bun';
  return 'npm';
}

export function packageJsonGates(text: string, manager: 'npm' | 'pnpm' | 'yarn' | 'bun' = 'npm'): GateConfig[] {
  let scripts: Record<string, unknown>;
  try {
    const parsed = JSON.parse(text) as { scripts?: Record<string, unknown> };
    scripts = parsed.scripts ?? {};
  } catch {
    return [];
  }
  const gates: GateConfig[] = [];
  for (const name of ['typecheck', 'lint', 'test']) {
    const script = scripts[name];
    if (typeof script !== 'string' || script.trim() === '') continue;
    if (name === 'test' && NPM_PLACEHOLDER_TEST.test(script)) continue;
    const run = manager === 'yarn' ? ['yarn', name] : manager === 'npm' && name === 'test' ? ['npm', 'test'] : [manager, 'run', name];
    gates.push({ name, run });
  }
  return gates;
}
