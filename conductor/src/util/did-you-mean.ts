import { distance } from 'fastest-levenshtein';

/** The closest candidate to `input`, when it is close enough to be a plausible typo. */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const normal = (s: string) => s.toLowerCase().replace(/[-_ ]/g, '');
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    const score = normal(input) === normal(candidate) ? 0 : distance(input.toLowerCase(), candidate.toLowerCase());
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  const limit = Math.max(2, Math.floor(input.length / 3));
  return best !== undefined && bestScore <= limit ? best : undefined;
}

/**
 * The task id `input` was likely meant as. Ids are short, so only a near miss counts: the same id but for
 * case and leading zeros (T1 for T01, t02 for T02), or, for longer ids, a plausible typo.
 */
export function guessTaskId(input: string, ids: readonly string[]): string | undefined {
  const canonical = (id: string) => id.replace(/\d+/g, (n) => String(Number(n))).toLowerCase();
  return ids.find((id) => canonical(id) === canonical(input)) ?? (input.length > 4 ? didYouMean(input, ids) : undefined);
}
