// A write or read the machine refused — disk full, a read-only or vanished
// directory, permissions — is not a bug in conductor: it is said as
// "cannot write <path>: <reason>" with what to do, exit 1, and the run stays
// resumable (every state file is written atomically, so nothing is half-written).
import { relative, isAbsolute } from 'node:path';
import { ConductorError, messageOf } from './errors.js';

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'its directory no longer exists',
  ENOTDIR: 'a part of its path is not a directory',
  EISDIR: 'a directory is in the way',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
};

/** The same faults as git words them on stderr, for failures that reach conductor through git. */
const GIT_REASONS: [RegExp, string][] = [
  [/No space left on device/i, 'ENOSPC'],
  [/Disk quota exceeded/i, 'EDQUOT'],
  [/Read-only file system/i, 'EROFS'],
];

const errnoOf = (error: unknown): string | undefined => {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code in REASONS) return code;
  }
  const text = messageOf(error);
  return GIT_REASONS.find(([pattern]) => pattern.test(text))?.[1];
};

const pathOf = (error: unknown): string | undefined => {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const path = (e as NodeJS.ErrnoException).path;
    if (typeof path === 'string') return path;
  }
  return undefined;
};

function hintFor(code: string | undefined): string {
  const resume = 'then continue with `conductor resume` (or the same command again): what was written before is intact';
  if (code === 'ENOSPC' || code === 'EDQUOT') return `free some disk space, ${resume}`;
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return `make it writable for conductor, ${resume}`;
  if (code === 'EISDIR') return `move the directory out of the way, ${resume}`;
  if (code === 'ENOENT' || code === 'ENOTDIR') return `something removed it while conductor ran; ${resume} — conductor re-creates its own directories`;
  return `check free disk space and permissions, ${resume}`;
}

/** `cannot <verb> <path>: <reason>`, with a hint, as a ConductorError (exit 1). `path` is shown relative to `cwd` when inside it. */
export function ioFailure(verb: 'write' | 'read' | 'create' | 'append to', path: string, error: unknown, cwd: string = process.cwd()): ConductorError {
  const code = errnoOf(error);
  const shown = isAbsolute(path) && !relative(cwd, path).startsWith('..') && relative(cwd, path) !== '' ? relative(cwd, path) : path;
  const reason = code ? REASONS[code]! : messageOf(error).trim().split('\n')[0]!;
  return new ConductorError('IO', `cannot ${verb} ${shown}: ${reason}`, { cause: error, hint: hintFor(code) });
}

/**
 * An error that reached the top without being said on purpose, translated when it is a fault of the machine
 * (a Node fs error carrying a path, or git reporting a full or read-only disk); anything else stays as it is.
 */
export function asIoFailure(error: unknown): unknown {
  if (error instanceof ConductorError) return error;
  const code = errnoOf(error);
  if (code === undefined) return error;
  const path = pathOf(error);
  if (path !== undefined) return ioFailure('write', path, error);
  const reason = REASONS[code]!;
  return new ConductorError('IO', `${reason}: ${messageOf(error).trim().split('\n')[0]}`, { cause: error, hint: hintFor(code) });
}
