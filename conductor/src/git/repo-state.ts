// What conductor needs to know about a checkout, asked of git — never read
// from git's files. A checkout may be a linked worktree (its `.git` is a file),
// refs may be packed (or, from git 3.0, in a reftable), so HEAD, refs and
// git directories are only ever git's answers. Several questions share one
// git call where git allows it.
import { resolve } from 'node:path';
import { git } from './git.js';

export interface RepoState {
  /** This checkout's own git directory (a linked worktree's is under the common one). */
  gitDir: string;
  /** The directory shared by all worktrees of the repository (objects, refs, config, hooks). */
  commonDir: string;
  /** The ref HEAD is on (`refs/heads/…`), '' when detached. */
  symref: string;
  /** The commit HEAD points at, '' when there is none yet. */
  head: string;
}

/** The git directories and HEAD of the checkout at `dir`, in one git call (two for a branch with no commit yet). */
export async function repoState(dir: string): Promise<RepoState> {
  const g = git(dir);
  const answer = await g.run(['rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir', 'HEAD', '--symbolic-full-name', 'HEAD']);
  const [gitDir = '', commonDir = '', head = '', name = ''] = answer.stdout.split('\n');
  if (answer.exitCode === 0) return { gitDir: resolve(gitDir), commonDir: resolve(commonDir), symref: name === 'HEAD' ? '' : name, head };
  // No commit yet (an unborn branch): HEAD cannot be parsed, so ask for the directories and the branch apart.
  const dirs = await gitDirs(dir);
  const symref = await g.run(['symbolic-ref', '-q', 'HEAD']);
  return { ...dirs, symref: symref.exitCode === 0 ? symref.stdout.trim() : '', head: '' };
}

/** The checkout's own git directory and the repository's common one (absolute). */
export async function gitDirs(dir: string): Promise<{ gitDir: string; commonDir: string }> {
  const out = await git(dir).raw(['rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir']);
  const [gitDir = '', commonDir = ''] = out.split('\n');
  return { gitDir: resolve(gitDir), commonDir: resolve(commonDir) };
}

/** A path inside this checkout's git directory as git resolves it (`MERGE_HEAD`, `index.lock`): per-worktree or shared, git knows. */
export async function gitPath(dir: string, name: string): Promise<string> {
  return resolve((await git(dir).raw(['rev-parse', '--path-format=absolute', '--git-path', name])).trim());
}
