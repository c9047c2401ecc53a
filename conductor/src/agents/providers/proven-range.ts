// Whether an installed agent CLI is at a version the real-CLI suite has run
// the whole pipeline through (catalog.ts `proven`), for `conductor doctor`.
import { BUILTINS, type ProvenRange } from './catalog.js';

export interface ProvenCheck {
  range: ProvenRange;
  /** inside: from ≤ version ≤ to; outside; unknown: the CLI did not say its version. */
  verdict: 'inside' | 'outside' | 'unknown';
}

/** Order two dotted versions numerically; a pre-release (`1.2.0-beta.1`) sorts before its release. */
export function compareVersions(a: string, b: string): number {
  const [coreA = '', preA] = splitVersion(a);
  const [coreB = '', preB] = splitVersion(b);
  const numsA = coreA.split('.').map(Number);
  const numsB = coreB.split('.').map(Number);
  for (let i = 0; i < Math.max(numsA.length, numsB.length); i++) {
    const diff = (numsA[i] ?? 0) - (numsB[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  if (preA === preB) return 0;
  if (preA === undefined) return 1;
  if (preB === undefined) return -1;
  return preA < preB ? -1 : 1;
}

function splitVersion(version: string): [string, string | undefined] {
  const at = version.indexOf('-');
  return at < 0 ? [version, undefined] : [version.slice(0, at), version.slice(at + 1)];
}

export function checkProven(provider: string, version: string | undefined): ProvenCheck | undefined {
  const range = BUILTINS[provider]?.proven;
  if (!range) return undefined;
  if (version === undefined) return { range, verdict: 'unknown' };
  const inside = compareVersions(version, range.from) >= 0 && compareVersions(version, range.to) <= 0;
  return { range, verdict: inside ? 'inside' : 'outside' };
}

/** "proven 2.1.197–2.1.332" ("proven 0.61.0" for a single version), or what to expect of a version outside or unknown. */
export function describeProven(check: ProvenCheck): string {
  const range = check.range.from === check.range.to ? check.range.from : `${check.range.from}–${check.range.to}`;
  if (check.verdict === 'inside') return `proven ${range}`;
  if (check.verdict === 'outside') return `outside the proven range ${range}: may work; report problems`;
  return `version unknown; proven ${range}`;
}
