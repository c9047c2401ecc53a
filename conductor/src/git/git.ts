// The one git layer, on simple-git: every git call conductor makes goes
// through `git(dir)`, with a timeout, an optional AbortSignal, errors that name
// the command and its exit code, and a configuration nobody else can steer.
// A worker (or a user's global config) may have planted commands for git to
// run — a hook, `core.fsmonitor`, `core.hooksPath`, `diff.external`, a
// textconv filter — so every call overrides them: hooks come from an empty
// directory conductor owns, fsmonitor is off, diff/show/log never use an
// external diff or textconv, commits carry conductor's identity and are never
// signed, and git speaks `LC_ALL=C` so what conductor parses is stable.
// Every ref conductor moves carries a reflog message starting with
// "conductor:", so a move by anyone else can be told apart.
//
// simple-git waits 50 ms after a command that prints nothing (add, commit -q,
// update-ref); a task's agent time is minutes, so that is accepted
// (`npm run bench` reports conductor's own time per task).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitPluginError, simpleGit, type SimpleGitOptions } from 'simple-git';
import { ConductorError } from '../errors.js';

/** The reflog message prefix of every ref update conductor makes (see tamper-check). */
export const REFLOG_ACTION = 'conductor';

/** A git command that prints nothing for this long is stuck (a lock held elsewhere, a prompt): it is killed. */
export const DEFAULT_GIT_TIMEOUT_MS = 5 * 60_000;

const PASS = ['PATH', 'HOME', 'TMPDIR', 'SSH_AUTH_SOCK'];

/** The whole environment of conductor's git: nothing of the caller's GIT_* (GIT_DIR, GIT_WORK_TREE, …) leaks in. */
export function gitEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_OPTIONAL_LOCKS: '0', GIT_REFLOG_ACTION: REFLOG_ACTION, LC_ALL: 'C' };
  for (const name of PASS) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

let hooksDir: string | undefined;
const madeHooksDirs: string[] = [];
/**
 * An empty directory of this process's own for `core.hooksPath`: a hook planted in the repository's hooks
 * directory, or a `core.hooksPath` planted in its config, is never run by conductor's git. Made anew should
 * anything appear in it.
 */
export function emptyHooksDir(): string {
  if (hooksDir !== undefined) {
    try {
      if (readdirSync(hooksDir).length === 0) return hooksDir;
    } catch {
      // gone: make another
    }
  }
  const made = mkdtempSync(join(tmpdir(), 'conductor-no-hooks-'));
  if (madeHooksDirs.length === 0) process.once('exit', () => madeHooksDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  madeHooksDirs.push(made);
  hooksDir = made;
  return made;
}

function isolatedConfig(): string[] {
  return [
    `core.hooksPath=${emptyHooksDir()}`,
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
}

/**
 * simple-git's "unsafe" guard refuses `-c core.hooksPath=…` and `-c core.fsmonitor=…` (a caller could point
 * them at a program). Here they do the opposite: they switch off what a worker may have planted. So exactly
 * these two keys are allowed by name — not the guard's whole categories — and every other key the guard
 * refuses stays refused; the rest of conductor's keys are listed so simple-git does not warn about them.
 */
const ALLOWED_CONFIG = ['core.hooksPath', 'core.fsmonitor', 'color.ui', 'commit.gpgSign', 'tag.gpgSign', 'core.autocrlf', 'core.quotePath', 'core.logAllRefUpdates', 'user.name', 'user.email'];

export interface GitCallOptions {
  /** Kill git when it prints nothing for this long (simple-git's `timeout.block`); default DEFAULT_GIT_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Kill git when this aborts. */
  signal?: AbortSignal;
}

/** git in one directory. */
export interface Git {
  /** stdout; rejects with a GitCommandError when git exits non-zero (whatever it printed), times out or is aborted. */
  raw(args: readonly string[], options?: GitCallOptions): Promise<string>;
  /** The whole outcome, never rejecting for git's own exit code (only when git cannot run, times out or is aborted). */
  run(args: readonly string[], options?: GitCallOptions): Promise<GitOutcome>;
}

export interface GitOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Commands that print diffs: never through a user's or a worker's external diff tool or textconv filter. */
const DIFF_COMMANDS = new Set(['diff', 'show', 'log']);
const withoutExternalDiff = (args: readonly string[]): string[] => (DIFF_COMMANDS.has(args[0] ?? '') ? [args[0]!, '--no-ext-diff', '--no-textconv', ...args.slice(1)] : [...args]);

/** How a failed call is named in messages: `git merge-base HEAD main`, long argument lists cut short. */
function commandLine(args: readonly string[]): string {
  const line = ['git', ...args].join(' ');
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}

export function git(dir: string, extraEnv: Record<string, string> = {}): Git {
  const env = gitEnv(extraEnv);
  const run = async (args: readonly string[], options: GitCallOptions = {}): Promise<GitOutcome> => {
    const command = commandLine(args);
    let outcome: GitOutcome | undefined;
    const settings: Partial<SimpleGitOptions> = {
      baseDir: dir,
      config: isolatedConfig(),
      allowConfig: ALLOWED_CONFIG,
      // conductor sets these itself (gitEnv); simple-git's environment guard would otherwise refuse them.
      allowEnvironment: Object.keys(env).filter((name) => /^git_/i.test(name)),
      timeout: { block: options.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS },
      ...(options.signal ? { abort: options.signal } : {}),
      // Every answer passes here: keep git's exit code and both streams; a kill (timeout, abort) stays an error.
      errors: (error, result) => {
        outcome = { exitCode: result.exitCode, stdout: Buffer.concat(result.stdOut).toString('utf8'), stderr: Buffer.concat(result.stdErr).toString('utf8') };
        return error instanceof GitPluginError ? error : undefined;
      },
    };
    try {
      await simpleGit(settings).env(env).raw(withoutExternalDiff(args));
    } catch (error) {
      if (error instanceof GitPluginError && error.plugin === 'timeout') throw new GitCommandError(`${command} timed out: no output for ${options.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS} ms`, undefined, '', '', command);
      if (error instanceof GitPluginError && error.plugin === 'abort') throw new GitCommandError(`${command} was cancelled`, undefined, '', '', command);
      const reason = error instanceof Error ? error.message : String(error);
      throw new GitCommandError(`cannot run ${command} in ${dir}: ${reason.trim()}`, undefined, '', '', command);
    }
    if (outcome === undefined || !Number.isInteger(outcome.exitCode) || outcome.exitCode < 0) {
      throw new GitCommandError(`cannot run ${command} in ${dir}: git ended without an exit code`, undefined, '', '', command);
    }
    return outcome;
  };
  return {
    run,
    async raw(args, options) {
      const result = await run(args, options);
      if (result.exitCode !== 0) {
        const said = result.stderr.trim() || result.stdout.trim() || 'no message';
        throw new GitCommandError(`${commandLine(args)} failed (exit ${result.exitCode}): ${said}`, result.exitCode, result.stdout, result.stderr, commandLine(args));
      }
      return result.stdout;
    },
  };
}

export class GitCommandError extends Error {
  constructor(
    message: string,
    /** git's exit code; undefined when git did not finish (timed out, cancelled, could not start). */
    readonly exitCode: number | undefined,
    readonly stdout = '',
    readonly stderr = '',
    readonly command = '',
  ) {
    super(message);
    this.name = 'GitCommandError';
  }
}

/** Is `commit` already contained in `ref`, seen from the repository at `dir`? */
export async function isContainedIn(dir: string, commit: string, ref: string): Promise<boolean> {
  if (commit === ref) return true; // a commit is contained in itself: no git call
  // `merge-base --is-ancestor` answers with its exit code: 0 yes, 1 no; anything else (an unknown commit) is no too.
  return (await git(dir).run(['merge-base', '--is-ancestor', commit, ref])).exitCode === 0;
}

/** The commit a branch was created at, from the oldest line of its reflog; undefined when the reflog does not go back that far. */
export async function branchCreatedAt(dir: string, branch: string): Promise<string | undefined> {
  const answer = await git(dir).run(['reflog', 'show', '--format=%H %gs', `refs/heads/${branch}`, '--']);
  const oldest = answer.exitCode === 0 ? (answer.stdout.trim().split('\n').at(-1) ?? '') : '';
  const match = /^([0-9a-f]{40,64}) branch: Created from /.exec(oldest);
  return match?.[1];
}

/** The commit HEAD points at. A repository with no commit yet is bad input (exit 2), not a crash: worktrees need a commit. */
export async function headCommit(dir: string): Promise<string> {
  const answer = await git(dir).run(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  const sha = answer.stdout.trim();
  if (answer.exitCode !== 0 || !/^[0-9a-f]{40,64}$/.test(sha)) {
    throw new ConductorError('INPUT_INVALID', 'the repository has no commit yet; conductor builds on one', { hint: 'commit your files first: git add -A && git commit -m "Initial commit"' });
  }
  return sha;
}
