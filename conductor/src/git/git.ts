// The one git layer, run with an isolated configuration: no hooks, no
// signing prompts, no terminal prompts, a fixed identity for the commits
// conductor makes. Every ref conductor moves carries a reflog message
// starting with "conductor:", so a move by anyone else can be told apart.
//
// git runs as a plain child process with an argument array, never a shell.
// (It ran through simple-git until simple-git's wait of 50 ms after every
// command that prints nothing — add, commit -q, worktree remove, update-ref —
// turned out to be most of conductor's own per-task time; then through execa,
// whose per-call bookkeeping added 0.6 ms to a 2 ms git call. Agents and
// gates, which need process trees, timeouts and cancellation, keep execa.)
import { spawn } from 'node:child_process';
import { ConductorError } from '../errors.js';
import { headOnDisk } from './git-files.js';

const ISOLATED_CONFIG = [
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false', // a planted fsmonitor command would run on every status and diff
  'color.ui=false',
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

/** git in one directory. `raw` resolves with stdout; it rejects when git exits non-zero and says why on stderr. */
export interface Git {
  raw(args: readonly string[]): Promise<string>;
  /** The whole outcome, never rejecting for git's own exit code. */
  run(args: readonly string[]): Promise<GitOutcome>;
}

export interface GitOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const CONFIG_ARGS = ISOLATED_CONFIG.flatMap((entry) => ['-c', entry]);

/** Commands that print diffs: never through a user's or a worker's external diff tool or textconv filter. */
const DIFF_COMMANDS = new Set(['diff', 'show', 'log']);
const withoutExternalDiff = (args: readonly string[]): readonly string[] => (DIFF_COMMANDS.has(args[0] ?? '') ? [args[0]!, '--no-ext-diff', '--no-textconv', ...args.slice(1)] : args);

export function git(dir: string, extraEnv: Record<string, string> = {}): Git {
  // hooksPath points at nothing: a hook in a repository (or one an agent wrote) never runs under conductor.
  // The environment is exactly gitEnv(): no GIT_DIR, GIT_WORK_TREE or other GIT_* of the caller leaks in.
  const env = gitEnv(extraEnv);
  const run = (args: readonly string[]): Promise<GitOutcome> =>
    new Promise((resolve, reject) => {
      const child = spawn('git', [...CONFIG_ARGS, ...withoutExternalDiff(args)], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', (error) => reject(new Error(`cannot run git in ${dir}: ${error.message}`)));
      child.on('close', (code, signal) => {
        if (code === null) reject(new Error(`cannot run git in ${dir}: git was killed by ${signal ?? 'a signal'}`));
        else resolve({ exitCode: code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
      });
    });
  return {
    run,
    async raw(args) {
      const result = await run(args);
      // Like git's own porcelain: a non-zero exit with nothing on stderr (merge-base, a conflicted merge) is an answer, not a failure.
      if (result.exitCode !== 0 && result.stderr.length > 0) throw new GitCommandError(`${result.stdout}${result.stderr}`, result.exitCode);
      return result.stdout;
    },
  };
}

export class GitCommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'GitCommandError';
  }
}

/** Is `commit` already contained in `ref`, seen from the repository at `dir`? (Their merge base is `commit` itself.) */
export async function isContainedIn(dir: string, commit: string, ref: string): Promise<boolean> {
  const g = git(dir);
  // A full object name needs no lookup: merge-base fails on one that does not exist.
  const sha = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(commit) ? commit : (await g.raw(['rev-parse', '--verify', `${commit}^{commit}`]).catch(() => '')).trim();
  if (!/^[0-9a-f]{40,64}$/.test(sha)) return false;
  if (sha === ref) return true; // a commit is contained in itself: no git call
  return (await g.raw(['merge-base', sha, ref]).catch(() => '')).trim() === sha;
}

/** The commit a branch was created at, from the oldest line of its reflog; undefined when the reflog does not go back that far. */
export async function branchCreatedAt(dir: string, branch: string): Promise<string | undefined> {
  const out = await git(dir).raw(['reflog', 'show', '--format=%H %gs', `refs/heads/${branch}`, '--']).catch(() => '');
  const oldest = out.trim().split('\n').at(-1) ?? '';
  const match = /^([0-9a-f]{40,64}) branch: Created from /.exec(oldest);
  return match?.[1];
}

/** The commit HEAD points at (read from git's files when they are plain). A repository with no commit yet is bad input (exit 2), not a crash: worktrees need a commit. */
export async function headCommit(dir: string): Promise<string> {
  const onDisk = headOnDisk(dir);
  if (onDisk) return onDisk;
  const sha = (await git(dir).raw(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']).catch(() => '')).trim();
  if (!/^[0-9a-f]{40,64}$/.test(sha)) {
    throw new ConductorError('INPUT_INVALID', 'the repository has no commit yet; conductor builds on one', { hint: 'commit your files first: git add -A && git commit -m "Initial commit"' });
  }
  return sha;
}
