// Checks for `files_hint` and `forbidden` entries: every path must stay inside
// the repository, spelled relative to its root.
import { readdirSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, sep, win32 } from 'node:path';

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

/** A plain relative path, optionally with `:12` or `:12-40`: the shape almost every entry has. */
const PLAIN_PATH = /^[\w.@+-][\w.@+-]*(?:\/[\w.@+-]+)*(?::(\d+)(?:-(\d+))?)?$/;

/** Why `entry` is unsafe, or undefined when it is fine. `isGlob` entries may use glob syntax. */
export function unsafePathReason(entry: string, guard: SymlinkGuard | undefined, isGlob: boolean): string | undefined {
  const plain = !entry.includes('..') ? PLAIN_PATH.exec(entry) : null;
  if (plain && (plain[1] === undefined || (Number(plain[1]) >= 1 && (plain[2] === undefined || Number(plain[2]) >= Number(plain[1]))))) {
    const path = plain[1] === undefined ? entry : entry.slice(0, entry.indexOf(':'));
    const escape = guard?.escape(path);
    return escape ? `leaves the repository through the symlink ${escape}` : undefined;
  }
  return unusualPathReason(entry, guard, isGlob);
}

function unusualPathReason(entry: string, guard: SymlinkGuard | undefined, isGlob: boolean): string | undefined {
  const hint = isGlob ? { path: entry } : parseFileHint(entry);
  const path = hint.path;
  if (path.trim() === '') return 'is empty';
  if (path.includes('\0')) return 'contains a NUL character';
  if (isAbsolute(path) || win32.isAbsolute(path) || /^[A-Za-z]:/.test(path)) return 'is absolute; write it relative to the repository root';
  if (path.split(/[\\/]/).includes('..')) return 'contains ".."; paths must stay inside the repository';
  if (hint.lines && (hint.lines.start < 1 || hint.lines.end < hint.lines.start)) {
    return `has an empty line range ${hint.lines.start}-${hint.lines.end}`;
  }
  if (guard) {
    const escape = guard.escape(isGlob ? literalPrefix(path) : path);
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

/**
 * Finds symlinks that leave a repository, reading each directory once: a
 * backlog names thousands of files, and an lstat per path was most of the
 * validation time.
 */
export class SymlinkGuard {
  private readonly links = new Map<string, Set<string> | undefined>();
  /** Per directory (relative): its absolute path and the escaping symlink on the way, or undefined when missing. */
  private readonly dirs = new Map<string, { abs: string; escape: string | undefined } | undefined>();
  private realRoot: string | null | undefined;

  constructor(private readonly repoRoot: string) {}

  /** The first symlink along `path` (relative) that resolves outside the repository. */
  escape(path: string): string | undefined {
    const clean = /^[^\\/]+(?:\/[^\\/]+)*$/.test(path) && !/(?:^|\/)\.(?:\/|$)/.test(path) ? path : path.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.').join('/');
    if (clean === '' || this.root() === null) return undefined;
    const slash = clean.lastIndexOf('/');
    const parent = this.dir(slash === -1 ? '' : clean.slice(0, slash));
    if (!parent) return undefined; // the rest does not exist yet: nothing can escape through it
    return parent.escape ?? this.step(parent.abs, clean, slash === -1 ? clean : clean.slice(slash + 1)).escape;
  }

  private dir(relativeDir: string): { abs: string; escape: string | undefined } | undefined {
    if (relativeDir === '') return { abs: this.repoRoot, escape: undefined };
    if (this.dirs.has(relativeDir)) return this.dirs.get(relativeDir);
    const slash = relativeDir.lastIndexOf('/');
    const parent = this.dir(slash === -1 ? '' : relativeDir.slice(0, slash));
    let state: { abs: string; escape: string | undefined } | undefined;
    if (parent) {
      const step = this.step(parent.abs, relativeDir, slash === -1 ? relativeDir : relativeDir.slice(slash + 1));
      state = step.exists ? { abs: step.abs, escape: parent.escape ?? step.escape } : undefined;
    }
    this.dirs.set(relativeDir, state);
    return state;
  }

  /** One path segment under `dirAbs`: whether the directory could be read, and whether `name` is a link out. */
  private step(dirAbs: string, shown: string, name: string): { abs: string; exists: boolean; escape: string | undefined } {
    const links = this.symlinksIn(dirAbs);
    const abs = `${dirAbs}${sep}${name}`;
    if (links === undefined) return { abs, exists: false, escape: undefined };
    if (!links.has(name)) return { abs, exists: true, escape: undefined };
    let target: string;
    try {
      target = realpathSync(abs);
    } catch {
      return { abs, exists: false, escape: undefined }; // a dangling link leads nowhere
    }
    const rel = relative(this.root()!, target);
    const outside = rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
    return { abs, exists: true, escape: outside ? shown : undefined };
  }

  private root(): string | null {
    if (this.realRoot === undefined) {
      try {
        this.realRoot = realpathSync(this.repoRoot);
      } catch {
        this.realRoot = null;
      }
    }
    return this.realRoot;
  }

  /** Names of the symlinks directly in `dir`; undefined when it is not a readable directory. */
  private symlinksIn(dir: string): Set<string> | undefined {
    if (this.links.has(dir)) return this.links.get(dir);
    let found: Set<string> | undefined;
    try {
      found = new Set(readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isSymbolicLink()).map((entry) => entry.name));
    } catch {
      found = undefined;
    }
    this.links.set(dir, found);
    return found;
  }
}
