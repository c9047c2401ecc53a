// One error type for everything conductor reports on purpose. The CLI layer
// turns `code` into an exit code (CONTRACT §2) and prints `message` + `hint`.
import type { Problem } from './problems.js';

export type ErrorCode =
  | 'USAGE' // bad arguments or options
  | 'INPUT_INVALID' // a file the user gave us is missing, unreadable or malformed
  | 'BACKLOG_INVALID' // BACKLOG.yaml has problems (see `problems`)
  | 'CONFIG_INVALID' // conductor.config.yaml has problems (see `problems`)
  | 'LOCKED' // another conductor holds this repository's lock
  | 'STATE_CORRUPT' // a state file conductor wrote cannot be read back
  | 'IO' // a write or read failed (disk full, permissions)
  | 'PHASE_FAILED' // a phase could not finish (an agent failed past its retries)
  | 'INTERRUPTED'; // Ctrl-C or SIGTERM

export class ConductorError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly problems: readonly Problem[];

  constructor(code: ErrorCode, message: string, options: { hint?: string; problems?: readonly Problem[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConductorError';
    this.code = code;
    this.hint = options.hint;
    this.problems = options.problems ?? [];
  }
}

export const EXIT = { ok: 0, failed: 1, badInput: 2, locked: 3, interrupted: 130 } as const;

const EXIT_BY_CODE: Record<ErrorCode, number> = {
  USAGE: EXIT.badInput,
  INPUT_INVALID: EXIT.badInput,
  BACKLOG_INVALID: EXIT.badInput,
  CONFIG_INVALID: EXIT.badInput,
  LOCKED: EXIT.locked,
  STATE_CORRUPT: EXIT.failed,
  IO: EXIT.failed,
  PHASE_FAILED: EXIT.failed,
  INTERRUPTED: EXIT.interrupted,
};

export function exitCodeOf(error: unknown): number {
  return error instanceof ConductorError ? EXIT_BY_CODE[error.code] : EXIT.failed;
}

export function isConductorError(error: unknown): error is ConductorError {
  return error instanceof ConductorError;
}

/** The message of any thrown value, for wrapping foreign errors. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
