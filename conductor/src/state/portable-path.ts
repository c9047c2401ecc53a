// Paths in files meant for git (tasks/<id>.status.json) are written relative to
// the repository root, with forward slashes, so the file means the same on
// every machine and names no one's home directory. Records written before
// this hold absolute paths: those still read.
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { SetupRecord } from './status-file.js';

/** `path` as written into a committed file: relative to `repoRoot`, `/`-separated. */
export function portablePath(repoRoot: string, path: string): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(repoRoot, path);
  return rel === '' ? '.' : rel.split(sep).join('/');
}

/** A path read from a committed file, absolute again: relative ones are against `repoRoot`, old absolute ones stay. */
export function resolvedPath(repoRoot: string, path: string): string {
  return isAbsolute(path) ? path : resolve(repoRoot, path);
}

/** A setup record with its log and resolved package paths made portable. */
export function portableSetup(repoRoot: string, setup: SetupRecord): SetupRecord {
  return {
    ...setup,
    ...(setup.log ? { log: portablePath(repoRoot, setup.log) } : {}),
    ...(setup.resolution ? { resolution: setup.resolution.map((r) => (r.path ? { ...r, path: portablePath(repoRoot, r.path) } : r)) } : {}),
  };
}
