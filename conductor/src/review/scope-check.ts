// What a worker's change touched, judged against its task before any review:
// forbidden globs fail the attempt; files outside files_hint are listed for
// the reviewer; agent settings, hooks and CI are flagged and never run by the
// host's gates without the reviewer's approval.
import picomatch from 'picomatch';
import { parseFileHint } from '../backlog/scope-paths.js';
import type { Task } from '../backlog/types.js';

/** Paths whose change can run code on the host or steer other agents. */
export const SENSITIVE = ['.claude/**', '.opencode/**', '.gemini/**', '.codex/**', '.github/workflows/**', '.husky/**', '.githooks/**', 'lefthook.yml', '.pre-commit-config.yaml'];

export interface ScopeReport {
  /** Changed files matching a forbidden glob: the attempt fails. */
  forbidden: string[];
  /** Changed files no files_hint entry covers: listed for the reviewer. */
  outsideHint: string[];
  /** Changed agent settings, hooks or CI: flagged; gates wait for the reviewer. */
  flagged: string[];
}

export function checkScope(task: Pick<Task, 'scope'>, changed: readonly string[]): ScopeReport {
  const isForbidden = task.scope.forbidden.length ? picomatch(task.scope.forbidden, { dot: true }) : () => false;
  const isSensitive = picomatch(SENSITIVE, { dot: true });
  const hinted = task.scope.files_hint.map((hint) => parseFileHint(hint).path.replace(/\/+$/, ''));
  const covered = (file: string) => hinted.some((hint) => file === hint || file.startsWith(`${hint}/`) || (/[*?[{]/.test(hint) && picomatch(hint, { dot: true })(file)));
  return {
    forbidden: changed.filter((file) => isForbidden(file)),
    outsideHint: changed.filter((file) => !covered(file)),
    flagged: changed.filter((file) => isSensitive(file)),
  };
}
