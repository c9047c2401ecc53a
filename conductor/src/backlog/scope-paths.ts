// Checks for `files_hint` and `forbidden` entries: every path must stay inside
// the repository, spelled relative to its root.
import { lstatSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, sep, win32 } from 'node:path';

export interface FileHint {
  path: string;
  lines?: { start: number; end: number };
}

/** `src/a.ts:12-40` → `{path: 'src/a.ts', lines: {start: 12, end: 40}}`; `src/a.ts:7` is one line. */
export function parseFileHint(entry: string): FileHint {
  const match = /^(.*?):(\d+)(?:-(\d+))?$/.exec(entry);
  if (!match) return { path: entry };
  const start = Number(match[2]);
  return { path: match[1] ?? entry, lines: { start, end: match[3] === undefined ? start : Number(match[3]) } };
}

/** Why `entry` is unsafe, or undefined when it is fine. `isGlob` entries may use glob syntax. */
export function unsafePathReason(entry: string, repoRoot: string | undefined, isGlob: boolean): string | undefined {
  const hint = isGlob ? { path: entry } : parseFileHint(entry);
  const path = hint.path;
  if (path.trim() === '') return 'is empty';
  if (path.includes('\0')) return 'contains a NUL character';
  if (isAbsolute(path) || win32.isAbsolute(path) || /^[A-Za-z]:/.test(path)) return 'is absolute; write it relative to the repository root';
  if (path.split(/[\\/]/).includes('..')) return 'contains ".."; paths must stay inside the repository';
  if (hint.lines && (hint.lines.start < 1 || hint.lines.end < hint.lines.start)) {
    return `has an empty line range ${hint.lines.start}-${hint.lines.end}`;
  }
  if (repoRoot) {
    const escape = symlinkEscape(repoRoot, isGlob ? literalPrefix(path) : path);
    if (escape) return `leaves the repository through the symlink ${escape}`;
  }
  return undefined;
}

/** The part of a glob before its first wildcard segment. */
function literalPrefix(glob: string): string {
  const segments = glob.split('/');
  const literal: string[] = [];
  for (const segment of segments) {
    if (/[*?[\]{}!]/.test(segment)) break;
    literal.push(segment);
  }
  return literal.join('/');
}

/** The first existing symlink along `path` that resolves outside `repoRoot`. */
function symlinkEscape(repoRoot: string, path: string): string | undefined {
  if (path === '') return undefined;
  let realRoot: string;
  try {
    realRoot = realpathSync(repoRoot);
  } catch {
    return undefined;
  }
  let current = repoRoot;
  const shown: string[] = [];
  for (const segment of path.split(/[\\/]/).filter((s) => s !== '' && s !== '.')) {
    current = join(current, segment);
    shown.push(segment);
    let isLink: boolean;
    try {
      isLink = lstatSync(current).isSymbolicLink();
    } catch {
      return undefined; // the rest does not exist yet: nothing can escape through it
    }
    if (!isLink) continue;
    let target: string;
    try {
      target = realpathSync(current);
    } catch {
      return undefined;
    }
    const rel = relative(realRoot, target);
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return shown.join('/');
  }
  return undefined;
}
