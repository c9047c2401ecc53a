// An already-prepared node_modules waiting for the next worktree (#16 point 1
// and its speed target): the clone of the user's trees (root and workspaces)
// is made in the background, beside the worktrees, after a worktree was
// prepared; the next worktree whose lockfile and manifests match takes it
// with one rename per tree instead of cloning while the task waits. A spare
// is built under a `.partial` name and renamed when whole, so a crash never
// leaves half a tree to be taken; one of another fingerprint is removed.
// Best effort throughout: without a spare, the worktree clones as before.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { cloneTree, type CloneHow } from './node-modules.js';

export const SPARES_DIR = '.prepared';

/** The background fills under way in this process (one per spares directory), so a caller can wait for them. */
const filling = new Map<string, Promise<void>>();

/** Where the spares for `worktree` live: beside it, on the same filesystem (a rename moves a spare into place). */
export function sparesDirFor(worktree: string): string {
  return join(dirname(worktree), SPARES_DIR);
}

const keyOf = (fingerprint: string, hardLinks: boolean) => `${fingerprint.slice(0, 16)}-${hardLinks ? 'l' : 'c'}`;

/**
 * Move a ready spare's trees into `worktree` (each at its relative path, which must not exist there): true when
 * one was taken. Taken by a rename of the whole spare first, so two worktrees never take the same one.
 */
export async function takeSpare(worktree: string, fingerprint: string, hardLinks: boolean, trees: readonly string[]): Promise<{ how: CloneHow } | undefined> {
  const dir = sparesDirFor(worktree);
  const key = keyOf(fingerprint, hardLinks);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.startsWith(`${key}.`) && !name.includes('.partial'));
  for (const name of names) {
    // Claimed inside the spares directory: a crash right now leaves nothing in the worktree (and the claim is stale).
    const claimed = join(dir, `claimed-${randomBytes(4).toString('hex')}`);
    try {
      await rename(join(dir, name), claimed);
    } catch {
      continue; // taken by another worktree meanwhile
    }
    try {
      if (!trees.every((tree) => existsSync(join(claimed, tree)))) throw new Error('incomplete spare');
      for (const tree of trees) await rename(join(claimed, tree), join(worktree, tree));
      return { how: name.split('.')[1] as CloneHow };
    } catch {
      for (const tree of trees) await rm(join(worktree, tree), { recursive: true, force: true }); // cloned afresh instead
      return undefined;
    } finally {
      await rm(claimed, { recursive: true, force: true });
    }
  }
  return undefined;
}

/** Start filling a spare for the next worktree in the background, unless one is ready or being made. */
export function fillSpareLater(userRoot: string, worktree: string, fingerprint: string, hardLinks: boolean, trees: readonly string[]): void {
  const dir = sparesDirFor(worktree);
  if (filling.has(dir)) return;
  const work = fillSpare(userRoot, dir, keyOf(fingerprint, hardLinks), hardLinks, trees)
    .catch(() => undefined)
    .finally(() => filling.delete(dir));
  filling.set(dir, work);
}

async function fillSpare(userRoot: string, dir: string, key: string, hardLinks: boolean, trees: readonly string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const present = await readdir(dir);
  // Spares of another fingerprint (the lockfile changed) are of no use; partial ones of a process that is gone neither.
  for (const name of present) {
    const partialOf = /\.partial-(\d+)$/.exec(name)?.[1];
    const stale = partialOf ? !alive(Number(partialOf)) : !name.startsWith(`${key}.`);
    if (stale) await rm(join(dir, name), { recursive: true, force: true });
  }
  if (present.some((name) => name.startsWith(`${key}.`) && !name.includes('.partial'))) return;
  const partial = join(dir, `${key}.partial-${process.pid}`);
  await rm(partial, { recursive: true, force: true });
  let how: CloneHow = 'copy';
  for (const tree of trees) {
    await mkdir(dirname(join(partial, tree)), { recursive: true });
    how = await cloneTree(join(userRoot, tree), join(partial, tree), hardLinks);
  }
  await rename(partial, join(dir, `${key}.${how}.${randomBytes(4).toString('hex')}`));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Wait for the background fills of this process (tests, and before removing the spares). */
export async function settleSpares(): Promise<void> {
  await Promise.all([...filling.values()]);
}

/** Remove the spares kept beside the worktrees in `worktreesDir` (the run is over, or `conductor clean`). */
export async function removeSpares(worktreesDir: string): Promise<void> {
  const dir = join(worktreesDir, SPARES_DIR);
  await filling.get(dir);
  await rm(dir, { recursive: true, force: true });
}
