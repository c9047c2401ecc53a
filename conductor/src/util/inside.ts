import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * The absolute path of `path` under `root`, or undefined when it would land
 * outside: absolute, `..`, or through a symlink that leads out.
 */
export function resolveInside(root: string, path: string): string | undefined {
  if (path === '' || isAbsolute(path) || path.includes('\0')) return undefined;
  const target = resolve(root, path);
  const realRoot = realpathSync(root);
  if (!within(resolve(root), target)) return undefined;
  // The deepest existing ancestor decides where the write really lands.
  let probe = target;
  while (!existsSync(probe)) probe = dirname(probe);
  return within(realRoot, realpathSync(probe)) ? target : undefined;
}

function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}
