// What an agent call cost: the CLI's own figure when it gave one, else its
// tokens priced from the config's `pricing` table, else unknown.
import type { LedgerEntry } from '../agents/ledger.js';
import type { ModelPrice } from '../config/types.js';

export function callCost(entry: LedgerEntry, pricing: Readonly<Record<string, ModelPrice>>): number | undefined {
  if (entry.costUsd !== undefined) return entry.costUsd;
  const price = entry.model === undefined ? undefined : pricing[entry.model];
  if (!price || entry.inputTokens === undefined || entry.outputTokens === undefined) return undefined;
  return (entry.inputTokens * price.inputPerMillion + entry.outputTokens * price.outputPerMillion) / 1_000_000;
}

/** The summed cost of `entries`; calls without a known cost count as 0 and are counted apart. */
export function sumCost(entries: readonly LedgerEntry[], pricing: Readonly<Record<string, ModelPrice>>): { usd: number; unpriced: number } {
  let usd = 0;
  let unpriced = 0;
  for (const entry of entries) {
    const cost = callCost(entry, pricing);
    if (cost === undefined) unpriced++;
    else usd += cost;
  }
  return { usd, unpriced };
}

/** "$0.0123": four decimals below a dollar, two above. */
export function formatUsd(usd: number): string {
  return `$${usd.toFixed(usd < 1 ? 4 : 2)}`;
}
