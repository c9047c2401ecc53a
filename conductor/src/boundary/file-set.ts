// A snapshot of a set of files a worker may not change — the shared
// repository's config, hooks and info/, conductor's records, the user's
// git-ignored files — and the undo of any change to them. Each file is a stat
// signature; a small file's bytes are kept in memory so it can be put back
// (never logged: problems name paths only). A whole directory (an ignored
// node_modules/) is one signature over every entry's stat, up to a cap, and is
// reported when changed but not undone. What conductor itself wrote since the
// snapshot (own-writes.ts) is not a change.
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { ABSENT, isOwnWrite, noteOwnWrite, signatureOf } from '../state/own-writes.js';

/** Bytes kept per file, and in all, for putting files back. */
const KEEP_FILE_BYTES = 1 << 20;
const KEEP_TOTAL_BYTES = 64 << 20;
/** Entries stat-ed per snapshot inside collapsed directories: beyond it they are not compared (and the caller says so). */
export const TREE_ENTRY_CAP = 200_000;

interface Entry {
  sig: string;
  /** A file's bytes, when small enough to put back. */
  content?: Buffer;
  /** A symlink's target. */
  link?: string;
  /** A directory summarised by one signature (not undone, only reported). */
  tree?: boolean;
}

export interface FileSet {
  root: string;
  entries: Map<string, Entry>;
  /** Directories left out because the cap was reached. */
  uncompared: string[];
}

export interface SnapshotBudget {
  keptBytes: number;
  treeEntries: number;
}

export const newBudget = (): SnapshotBudget => ({ keptBytes: 0, treeEntries: 0 });

/** Every file below `dir` (relative to `root`), recursively, except entries named in `skip` (at any depth). */
export function walkFiles(root: string, dir: string, skip: ReadonlySet<string> = new Set()): string[] {
  const found: string[] = [];
  const visit = (rel: string) => {
    let names: string[];
    try {
      names = readdirSync(join(root, rel));
    } catch {
      return;
    }
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      if (skip.has(name)) continue;
      const stat = lstatSync(join(root, path), { throwIfNoEntry: false });
      if (stat?.isDirectory()) visit(path);
      else if (stat) found.push(path);
    }
  };
  visit(dir);
  return found;
}

/** Snapshot `paths` (relative to `root`); a path ending in `/` is a directory summarised as one signature. */
export function snapshotFiles(root: string, paths: readonly string[], budget: SnapshotBudget = newBudget()): FileSet {
  const entries = new Map<string, Entry>();
  const uncompared: string[] = [];
  for (const path of paths) {
    if (path.endsWith('/')) {
      const sig = treeSignature(join(root, path), budget);
      if (sig === undefined) uncompared.push(path);
      else entries.set(path, { sig, tree: true });
      continue;
    }
    entries.set(path, readEntry(join(root, path), budget));
  }
  return { root, entries, uncompared };
}

function readEntry(full: string, budget: SnapshotBudget): Entry {
  const sig = signatureOf(full);
  const stat = lstatSync(full, { throwIfNoEntry: false });
  if (stat?.isSymbolicLink()) return { sig, link: readlinkSync(full) };
  if (stat?.isFile() && stat.size <= KEEP_FILE_BYTES && budget.keptBytes + stat.size <= KEEP_TOTAL_BYTES) {
    const content = readFileSync(full);
    budget.keptBytes += content.length;
    return { sig, content };
  }
  return { sig };
}

/** One signature over the stat of every entry below `dir`; undefined past the cap. */
function treeSignature(dir: string, budget: SnapshotBudget): string | undefined {
  const hash = createHash('sha256');
  const visit = (path: string): boolean => {
    let names: string[];
    try {
      names = readdirSync(path); // the directory's own order: the same listing gives the same order
    } catch {
      return true;
    }
    let line = '';
    for (const name of names) {
      if (++budget.treeEntries > TREE_ENTRY_CAP) return false;
      const full = `${path}/${name}`;
      const stat = lstatSync(full, { throwIfNoEntry: false }); // numbers, not bigints: a third of the time on 20,000 files
      if (!stat) continue;
      line += `${name}\0${stat.mode}:${stat.size}:${stat.mtimeMs}:${stat.ino}\n`;
      if (stat.isDirectory() && !visit(full)) return false;
    }
    hash.update(line);
    return true;
  };
  if (signatureOf(dir) === ABSENT) return ABSENT;
  return visit(dir) ? hash.digest('hex') : undefined;
}

export interface FileChange {
  path: string;
  /** What happened, for the task's notes: "changed", "removed", "added". */
  what: 'changed' | 'removed' | 'added';
  /** Put back as it was (or removed again). */
  undone: boolean;
}

/**
 * Compare `before` with the disk now (taking `paths` as today's listing) and undo what a worker changed:
 * changed or removed files come back from their kept bytes; added files are removed when `removeAdded`.
 */
export function compareAndUndo(before: FileSet, paths: readonly string[], options: { removeAdded: boolean }): FileChange[] {
  const changes: FileChange[] = [];
  const now = snapshotFiles(before.root, paths.filter((p) => !before.entries.has(p)));
  const all = [...new Set([...before.entries.keys(), ...now.entries.keys()])].sort();
  for (const path of all) {
    const full = join(before.root, path);
    const was = before.entries.get(path);
    const tree = path.endsWith('/');
    const sig = tree ? snapshotFiles(before.root, [path]).entries.get(path)?.sig : signatureOf(full);
    if (sig === undefined) continue; // over the cap now: not compared
    if (was ? sig === was.sig : sig === ABSENT) continue;
    if (was?.content !== undefined && sig !== ABSENT && sameBytes(full, was.content)) continue; // touched, not changed
    if (isOwnWrite(full, sig)) continue; // conductor's own write since the snapshot
    if (!was || was.sig === ABSENT) {
      const undone = options.removeAdded;
      if (undone) remove(full);
      changes.push({ path, what: 'added', undone });
      continue;
    }
    changes.push({ path, what: sig === ABSENT ? 'removed' : 'changed', undone: putBack(full, was) });
  }
  return changes;
}

function sameBytes(full: string, content: Buffer): boolean {
  try {
    const stat = lstatSync(full);
    return stat.isFile() && stat.size === content.length && readFileSync(full).equals(content);
  } catch {
    return false;
  }
}

function putBack(full: string, was: Entry): boolean {
  if (was.content === undefined && was.link === undefined) return false;
  rmSync(full, { recursive: true, force: true });
  mkdirSync(dirname(full), { recursive: true });
  if (was.link !== undefined) symlinkSync(was.link, full);
  else {
    writeFileSync(full, was.content!);
    chmodSync(full, Number(was.sig.split(':')[0]) & 0o7777);
  }
  noteOwnWrite(full); // a session that overlapped this one must not take the repair for a worker's change
  return true;
}

function remove(full: string): void {
  rmSync(full, { recursive: true, force: true });
  noteOwnWrite(full);
}

/** One line for the task's notes: which paths, and whether they were put back. */
export function describeChanges(where: string, changes: readonly FileChange[]): string[] {
  if (changes.length === 0) return [];
  const shown = changes.slice(0, 5).map((c) => `${c.path} (${c.what}${c.undone ? '' : ', not undone'})`);
  const more = changes.length > 5 ? ` and ${changes.length - 5} more` : '';
  const allUndone = changes.every((c) => c.undone);
  return [`the worker changed ${where}: ${shown.join(', ')}${more}${allUndone ? '; conductor put it back' : ''}`];
}
