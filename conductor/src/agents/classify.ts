// Failure classification shared by providers: what a process outcome and the
// agent's own words say about why a call failed.
import { isAbsolute, relative } from 'node:path';
import type { RunOutcome } from '../process/run-process.js';
import type { ExitClass } from './types.js';

const QUOTA = /\b429\b|rate[ _-]?limit|quota|too many requests|insufficient_quota|resource[ _]exhausted|overloaded|usage limit|credit balance is too low/i;
const AUTH = /\b401\b|\b403\b|unauthori[sz]ed|invalid (?:x-)?api[ _-]?key|incorrect api key|authentication[ _]?(?:error|failed|required)|not logged in|missing api key|api key not (?:found|set|valid)|please (?:log ?in|run \/login)/i;

/** The class a process outcome has before looking at what the agent said. */
export function classifyOutcome(outcome: RunOutcome): ExitClass | undefined {
  switch (outcome.reason) {
    case 'spawn-failed':
      return 'not-installed';
    case 'inactivity':
      return 'hung';
    case 'hard-timeout':
      return 'timed-out';
    case 'cancelled':
      return 'cancelled';
    case 'finished':
      return undefined; // the result was complete; the provider decides
    case 'quota':
      return 'quota';
    case 'exited':
      if (outcome.signal) return 'crashed';
      return undefined;
  }
}

/** Does this text name a rate limit or an exhausted quota? */
export function mentionsQuota(text: string): boolean {
  return QUOTA.test(text);
}

/** Quota or auth trouble named in an error text, else `fallback`. */
export function classifyErrorText(text: string, fallback: ExitClass): ExitClass {
  if (QUOTA.test(text)) return 'quota';
  if (AUTH.test(text)) return 'auth';
  return fallback;
}

export function describeOutcome(outcome: RunOutcome): string {
  switch (outcome.reason) {
    case 'spawn-failed':
      return outcome.spawnError ?? 'could not start';
    case 'inactivity':
      return 'no output for the inactivity timeout: killed as hung';
    case 'hard-timeout':
      return 'ran past the hard timeout: killed';
    case 'cancelled':
      return 'cancelled';
    case 'finished':
      return 'finished but did not exit: killed after the grace period';
    case 'quota':
      return `kept retrying against a rate limit: stopped${withError(outcome, ' (', ')')}; log: ${shownPath(outcome.logPath)}`;
    case 'exited':
      if (outcome.signal) return `killed by ${outcome.signal}; log: ${shownPath(outcome.logPath)}`;
      return `exit code ${outcome.exitCode ?? '?'}${withError(outcome, ': ', '')}; log: ${shownPath(outcome.logPath)}`;
  }
}

/** A path as the user can open it from where they ran conductor: relative when it is below that directory. */
function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function withError(outcome: Pick<RunOutcome, 'stderrHead' | 'stderrTail'>, before: string, after: string): string {
  const line = errorLine(outcome);
  return line ? `${before}${line}${after}` : '';
}

/** Lines that say nothing about what went wrong: Node's version footer, stack frames, source excerpts and carets. */
const NOISE = /^(?:Node\.js v\d|at .+(?::\d+:\d+\)?|\(<anonymous>\))$|\^+$|file:\/\/\S+:\d+$|\/\S+:\d+$|npm (?:ERR|error) (?:A complete log|\s*$)|-+$|=+$)/;
/** A line that names an error: `Error: …`, `TypeError …`, `error: …`, `fatal: …`, `panic: …`, `npm error …`. */
const ERROR = /^(?:(?:Uncaught )?[A-Z]\w*(?:Error|Exception)\b|(?:error|fatal|panic|ERROR|FATAL|Error)(?:\[\w+\])?[:\s]|npm (?:ERR!|error) )/;

/**
 * The line of an agent's stderr that says why it failed: the first line that names an error, else the
 * last line that is not noise. Not simply the last line, which is often Node's `Node.js v20.20.2` footer
 * or a stack frame.
 */
export function errorLine(outcome: Pick<RunOutcome, 'stderrHead' | 'stderrTail'>): string {
  const lines = [...outcome.stderrHead.split('\n'), ...outcome.stderrTail.split('\n')].map((line) => line.trim()).filter((line) => line && !NOISE.test(line));
  const found = lines.find((line) => ERROR.test(line)) ?? lines.at(-1) ?? '';
  return found.length > 300 ? `${found.slice(0, 300)}…` : found;
}
