// Where conductor's own shipped files live, whether running from dist/ or from
// source under vitest.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The directory holding conductor's package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && existsSync(join(dir, 'conductor', 'schemas'))) return (root = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error('conductor package root not found');
    dir = parent;
  }
}

export function schemaPath(name: 'backlog' | 'config' | 'status' | 'factory' | 'events'): string {
  return join(packageRoot(), 'conductor', 'schemas', `${name}.schema.json`);
}

export function templatePath(name: string): string {
  return join(packageRoot(), 'conductor', 'templates', name);
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

/**
 * A page of conductor's documentation, as a path inside the installed package: a bare `docs/…` in a message would
 * read as the user's own docs/ (conductor writes its repo map there), and a URL would need the network.
 */
export function docPath(page: 'BACKLOG_SCHEMA.md' | 'CONFIG_SCHEMA.md' | 'FACTORY_SCHEMA.md' | 'factory.md' | 'workflow.md' | 'cli.md' | 'README.md'): string {
  return join(packageRoot(), 'docs', page);
}
