// How failures reach the user: one clear line per problem, a hint, and never a
// stack trace unless --verbose. Unexpected errors are reported as bugs.
import { ConductorError, exitCodeOf } from '../errors.js';
import { formatProblem } from '../problems.js';
import { plain, type Paint } from '../util/colors.js';

/** `paint` colours the failure red on a terminal. */
export function renderError(error: unknown, options: { verbose: boolean; version: string; paint?: Paint }): string {
  const paint = options.paint ?? plain;
  if (error instanceof ConductorError) {
    const lines = error.problems.map(formatProblem);
    lines.push(paint.red(`conductor: ${error.message}`));
    if (error.hint) lines.push(`hint: ${error.hint}`);
    if (options.verbose && error.stack) lines.push(error.stack);
    return `${lines.join('\n')}\n`;
  }
  const message = error instanceof Error ? error.message : String(error);
  const lines = [
    paint.red(`conductor: internal error: ${message}`),
    `This is a bug in conductor. Please report it with the command you ran and: conductor ${options.version}, Node ${process.version}, ${process.platform} ${process.arch}.`,
  ];
  if (options.verbose && error instanceof Error && error.stack) lines.push(error.stack);
  else lines.push('Run again with --verbose to see the stack trace.');
  return `${lines.join('\n')}\n`;
}

export function renderErrorJson(error: unknown): string {
  const body =
    error instanceof ConductorError
      ? { code: error.code, message: error.message, hint: error.hint, problems: error.problems }
      : { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
  return `${JSON.stringify({ error: body, exitCode: exitCodeOf(error) }, null, 2)}\n`;
}
