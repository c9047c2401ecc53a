// What git keeps on disk for a worktree, read directly where asking git would
// cost a process start (3–7 ms each, several per task): the worktree's git
// directory, what its HEAD names, and a branch's tip when it is a loose ref.
// Each reader answers only for the plain layout and says `undefined` for
// anything else (packed or reftable refs, a symbolic branch, an unreadable
// file): the caller then asks git. git writes these files through a lock file
// and a rename, so a read sees the old content or the new, never half.
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The git directory of the worktree at `worktree`: `.git` itself, or where a linked worktree's `.git` file points. */
export function gitDirOf(worktree: string): string | undefined {
  const dotGit = join(worktree, '.git');
  try {
    if (statSync(dotGit).isDirectory()) return dotGit;
  } catch {
    return undefined;
  }
  const match = /^gitdir: (.+?)\r?\n?$/.exec(read(dotGit) ?? '');
  return match ? resolve(worktree, match[1]!) : undefined;
}

/** The directory shared by all of a repository's worktrees (refs, objects), from one worktree's git directory. */
export function commonDirOf(gitDir: string): string {
  const common = read(join(gitDir, 'commondir'))?.trim();
  return common ? resolve(gitDir, common) : gitDir;
}

/** The commit a loose ref holds; undefined when it is not a loose ref holding an object name. */
export function looseRef(commonDir: string, ref: string): string | undefined {
  const value = read(join(commonDir, ...ref.split('/')))?.trim();
  return value !== undefined && SHA.test(value) ? value : undefined;
}

/**
 * What a worktree's HEAD says, from its files: the ref it is on (`refs/heads/…`,
 * or '' when detached) and, when a loose ref or a detached HEAD holds it, the
 * commit. Undefined when git has to be asked.
 */
export function readHead(worktree: string): { symref: string; commit: string | undefined } | undefined {
  const gitDir = gitDirOf(worktree);
  const content = gitDir === undefined ? undefined : read(join(gitDir, 'HEAD'))?.trim();
  if (gitDir === undefined || content === undefined) return undefined;
  const ref = /^ref: (refs\/\S+)$/.exec(content)?.[1];
  if (ref) return { symref: ref, commit: looseRef(commonDirOf(gitDir), ref) };
  return SHA.test(content) ? { symref: '', commit: content } : undefined;
}

/** The commit checked out in `worktree`, from its files; undefined when git has to be asked. */
export function headOnDisk(worktree: string): string | undefined {
  return readHead(worktree)?.commit;
}
