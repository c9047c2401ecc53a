// Failure classification shared by providers: what a process outcome and the
// agent's own words say about why a call failed.
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
      return `kept retrying against a rate limit: stopped${outcome.stderrTail.trim() ? ` (${lastLine(outcome.stderrTail)})` : ''}`;
    case 'exited':
      if (outcome.signal) return `killed by ${outcome.signal}`;
      return `exit code ${outcome.exitCode ?? '?'}${outcome.stderrTail.trim() ? `: ${lastLine(outcome.stderrTail)}` : ''}`;
  }
}

export function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}
