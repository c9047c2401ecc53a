// The one git layer (over simple-git), run with an isolated configuration:
// no hooks, no signing prompts, no terminal prompts, a fixed identity for the
// commits conductor makes. Every ref conductor moves carries a reflog message
// starting with "conductor:", so a move by anyone else can be told apart.
import { simpleGit, type SimpleGit } from 'simple-git';
import { ConductorError } from '../errors.js';

const ISOLATED_CONFIG = [
  'core.hooksPath=/dev/null',
  'commit.gpgSign=false',
  'tag.gpgSign=false',
  'core.autocrlf=false',
  'core.quotePath=false',
  'core.logAllRefUpdates=true',
  'user.name=conductor',
  'user.email=conductor@localhost',
];

/** The reflog message prefix of every ref update conductor makes (see tamper-check). */
export const REFLOG_ACTION = 'conductor';

const PASS = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'SSH_AUTH_SOCK'];

export function gitEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_OPTIONAL_LOCKS: '0', GIT_REFLOG_ACTION: REFLOG_ACTION };
  for (const name of PASS) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

/** The GIT_* variables conductor sets on purpose (simple-git strips any other). */
const ALLOWED_GIT_ENV = ['GIT_TERMINAL_PROMPT', 'GIT_CONFIG_NOSYSTEM', 'GIT_OPTIONAL_LOCKS', 'GIT_INDEX_FILE', 'GIT_REFLOG_ACTION'];

export function git(dir: string, extraEnv: Record<string, string> = {}): SimpleGit {
  // hooksPath points at nothing: a hook in a repository (or one an agent wrote) never runs under conductor.
  return simpleGit({ baseDir: dir, config: ISOLATED_CONFIG, trimmed: false, unsafe: { allowUnsafeHooksPath: true }, allowEnvironment: ALLOWED_GIT_ENV }).env(gitEnv(extraEnv));
}

/** Is `commit` already contained in `ref`, seen from the repository at `dir`? (Their merge base is `commit` itself.) */
export async function isContainedIn(dir: string, commit: string, ref: string): Promise<boolean> {
  const g = git(dir);
  // A full object name needs no lookup: merge-base fails on one that does not exist.
  const sha = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(commit) ? commit : (await g.raw(['rev-parse', '--verify', `${commit}^{commit}`]).catch(() => '')).trim();
  if (!/^[0-9a-f]{40,64}$/.test(sha)) return false;
  return (await g.raw(['merge-base', sha, ref]).catch(() => '')).trim() === sha;
}

/** The commit a branch was created at, from the oldest line of its reflog; undefined when the reflog does not go back that far. */
export async function branchCreatedAt(dir: string, branch: string): Promise<string | undefined> {
  const out = await git(dir).raw(['reflog', 'show', '--format=%H %gs', `refs/heads/${branch}`, '--']).catch(() => '');
  const oldest = out.trim().split('\n').at(-1) ?? '';
  const match = /^([0-9a-f]{40,64}) branch: Created from /.exec(oldest);
  return match?.[1];
}

/** The commit HEAD points at. A repository with no commit yet is bad input (exit 2), not a crash: worktrees need a commit. */
export async function headCommit(dir: string): Promise<string> {
  const sha = (await git(dir).raw(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']).catch(() => '')).trim();
  if (!/^[0-9a-f]{40,64}$/.test(sha)) {
    throw new ConductorError('INPUT_INVALID', 'the repository has no commit yet; conductor builds on one', { hint: 'commit your files first: git add -A && git commit -m "Initial commit"' });
  }
  return sha;
}
