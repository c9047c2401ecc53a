// A located diagnostic: the unit every validator reports, printed one per line
// as `file:line:col error kind: message — hint`.

export type ProblemKind =
  | 'io'
  | 'too-large'
  | 'too-deep'
  | 'alias-limit'
  | 'syntax'
  | 'duplicate-key'
  | 'unknown-key'
  | 'missing-key'
  | 'type'
  | 'invalid-value'
  | 'duplicate-id'
  | 'invalid-id'
  | 'unknown-dependency'
  | 'self-dependency'
  | 'cycle'
  | 'unsafe-path'
  | 'budget'
  | 'unknown-provider'
  | 'not-plain';

export interface Problem {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
  kind: ProblemKind;
  message: string;
  hint?: string;
  /** JSON path of the offending node, e.g. `tasks[2].depends_on[0]` */
  path?: string;
}

export function formatProblem(problem: Problem): string {
  const hint = problem.hint ? ` — ${problem.hint}` : '';
  return `${problem.file}:${problem.line}:${problem.col} error ${problem.kind}: ${problem.message}${hint}`;
}

export function sortProblems(problems: Problem[]): Problem[] {
  return problems.sort((a, b) => a.line - b.line || a.col - b.col || a.kind.localeCompare(b.kind));
}

/** `['tasks', 2, 'depends_on', 0]` → `tasks[2].depends_on[0]` */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}
