// The user's own files in their checkout (tracked and untracked, not the
// git-ignored ones: boundary.ts keeps those), put back after a worker changed
// them (#14 point 3). Before each worker session the files the user has
// changed or added are kept (small ones byte for byte, file-set.ts); every
// other tracked file is as the commit HEAD was on. After the session each
// path the worker touched comes back from one of the two, and a file the
// worker added is removed. Nothing is lost either way: what the worker left
// is first committed, from a throwaway index, to a salvage ref the notes
// name, so a change the user made meanwhile can be taken back from there.
import { lstatSync, realpathSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { git } from '../git/git.js';
import { noteOwnWrite } from '../state/own-writes.js';
import { compareAndUndo, snapshotFiles, type FileSet } from './file-set.js';

/** The user's changed and untracked files as they were before the session (paths relative to the checkout). */
export function keepUserFiles(repoRoot: string, changedPaths: readonly string[]): FileSet {
  return snapshotFiles(repoRoot, changedPaths);
}

export interface UserFilesUndo {
  /** Paths put back (or removed again, when the worker added them). */
  restored: string[];
  /** Paths that could not be put back (a file too big to keep, a path under a link leading out). */
  notRestored: string[];
  /** Where what the worker left is kept. */
  salvage?: string;
}

/**
 * Put `paths` of the user's checkout back as they were: from the kept bytes when the user had changed them, else
 * from `head`'s tree, else (the worker added them) removed. `keep` saves the commit of what the worker left.
 */
export async function restoreUserFiles(repoRoot: string, head: string, kept: FileSet, paths: readonly string[], keep: (name: string, commit: string) => Promise<string>): Promise<UserFilesUndo> {
  const g = git(repoRoot);
  const inHead = new Set(paths.length ? (await g.raw(['ls-tree', '-r', '-z', '--name-only', head, '--', ...paths])).split('\0').filter(Boolean) : []);
  const present = paths.filter((path) => inHead.has(path) || lstatSync(join(repoRoot, path), { throwIfNoEntry: false }) !== undefined);
  const salvage = await saveWhatIsThere(repoRoot, head, present).then((commit) => keep('user-files', commit)).catch(() => undefined);
  const restored: string[] = [];
  const notRestored: string[] = [];
  const root = realpathSync(repoRoot);
  const safe = (path: string) => {
    // Never write through a directory the worker turned into a link that leads out of the checkout.
    try {
      const parent = realpathSync(dirname(join(repoRoot, path)));
      return parent === root || parent.startsWith(`${root}${sep}`);
    } catch {
      return true; // the directory is gone: it is made again inside the checkout
    }
  };

  const fromKept = paths.filter((path) => kept.entries.has(path));
  const rest = paths.filter((path) => !kept.entries.has(path));
  if (fromKept.length > 0) {
    const subset: FileSet = { root: kept.root, entries: new Map(fromKept.filter(safe).map((path) => [path, kept.entries.get(path)!])), uncompared: [] };
    for (const change of compareAndUndo(subset, [], { removeAdded: true })) (change.undone ? restored : notRestored).push(change.path);
    // A kept file that compares equal again (touched, put back by hand) needs nothing; one under a link is not safe.
    notRestored.push(...fromKept.filter((path) => !safe(path)));
  }
  if (rest.length > 0) {
    const tracked = rest.filter((path) => inHead.has(path) && safe(path));
    // A worker's file where HEAD has one (or had a directory of them): removed first, so git can write HEAD's.
    for (const path of tracked) if (lstatSync(join(repoRoot, path), { throwIfNoEntry: false })?.isDirectory()) rmSync(join(repoRoot, path), { recursive: true, force: true });
    for (let i = 0; i < tracked.length; i += 200) {
      const batch = tracked.slice(i, i + 200);
      const done = (await g.run(['restore', `--source=${head}`, '--worktree', '--', ...batch.map((path) => `:(literal)${path}`)])).exitCode === 0;
      for (const path of batch) {
        if (done) noteOwnWrite(join(repoRoot, path));
        (done ? restored : notRestored).push(path);
      }
    }
    for (const path of rest.filter((p) => !inHead.has(p))) {
      if (!safe(path)) {
        notRestored.push(path);
        continue;
      }
      rmSync(join(repoRoot, path), { recursive: true, force: true }); // the worker's own addition (kept in the salvage ref)
      noteOwnWrite(join(repoRoot, path));
      restored.push(path);
    }
    notRestored.push(...rest.filter((path) => inHead.has(path) && !safe(path)));
  }
  return { restored: [...new Set(restored)].sort(), notRestored: [...new Set(notRestored)].sort(), ...(salvage ? { salvage } : {}) };
}

/** A commit of `head` with `paths` as they are on disk now (removed ones removed), from a throwaway index. */
async function saveWhatIsThere(repoRoot: string, head: string, paths: readonly string[]): Promise<string> {
  const scratch = await mkdtemp(join(tmpdir(), 'conductor-user-files-'));
  try {
    const temp = git(repoRoot, { GIT_INDEX_FILE: join(scratch, 'index') });
    await temp.raw(['read-tree', head]);
    for (let i = 0; i < paths.length; i += 200) {
      // -f: the worker's file is kept even where the user's ignore rules would leave it out.
      await temp.raw(['add', '-A', '-f', '--', ...paths.slice(i, i + 200).map((path) => `:(literal)${path}`)]);
    }
    const tree = (await temp.raw(['write-tree'])).trim();
    return (await temp.raw(['commit-tree', tree, '-p', head, '-m', "conductor: what a worker left in the user's checkout"])).trim();
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
