// .conductor/sessions.jsonl: one line per agent call. It proves context
// hygiene (every call a new session) and feeds reports (tokens, cost, time).
import { join } from 'node:path';
import { appendJsonLine, readJsonLines } from '../state/json-lines.js';
import type { AgentResult, ExitClass } from './types.js';
import type { AgentRequest } from './types.js';

export interface LedgerEntry {
  at: string;
  /** The run the call belongs to (absent in ledgers written before run ids existed). */
  runId?: string;
  sessionId: string;
  cliSessionId?: string;
  role: string;
  taskId?: string;
  attempt: number;
  provider: string;
  model?: string;
  promptBytes: number;
  promptSha256: string;
  inputTokens?: number;
  outputTokens?: number;
  costUsd?: number;
  durationMs: number;
  exit: ExitClass;
  detail?: string;
  log: string;
}

export function ledgerPath(conductorDir: string): string {
  return join(conductorDir, 'sessions.jsonl');
}

export function ledgerEntry(request: AgentRequest, result: AgentResult, at: Date, runId?: string): LedgerEntry {
  const entry: LedgerEntry = {
    at: at.toISOString(),
    ...(runId !== undefined ? { runId } : {}),
    sessionId: result.sessionId,
    role: request.role,
    attempt: request.attempt,
    provider: result.provider,
    promptBytes: result.promptBytes,
    promptSha256: result.promptSha256,
    durationMs: result.durationMs,
    exit: result.exit,
    log: result.logPath,
  };
  if (result.cliSessionId !== undefined) entry.cliSessionId = result.cliSessionId;
  if (request.taskId !== undefined) entry.taskId = request.taskId;
  if (result.model !== undefined) entry.model = result.model;
  if (result.usage) {
    entry.inputTokens = result.usage.inputTokens;
    entry.outputTokens = result.usage.outputTokens;
  }
  if (result.costUsd !== undefined) entry.costUsd = result.costUsd;
  if (result.detail !== undefined) entry.detail = result.detail;
  return entry;
}

export async function appendLedger(conductorDir: string, entry: LedgerEntry): Promise<void> {
  await appendJsonLine(ledgerPath(conductorDir), entry);
}

export async function readLedger(conductorDir: string): Promise<{ entries: LedgerEntry[]; skipped: { line: number; reason: string }[] }> {
  const { records, skipped } = await readJsonLines(ledgerPath(conductorDir));
  const entries = records.filter((r): r is LedgerEntry => typeof r === 'object' && r !== null && typeof (r as LedgerEntry).sessionId === 'string');
  return { entries, skipped };
}

/** Calls that reused a session id already seen: always 0 when conductor works as designed. */
export function sessionReuseCount(entries: readonly LedgerEntry[]): number {
  const seen = new Set<string>();
  let reused = 0;
  for (const entry of entries) {
    for (const id of [entry.sessionId, entry.cliSessionId]) {
      if (id === undefined) continue;
      const key = `${entry.provider}:${id}`;
      if (seen.has(key)) reused++;
      seen.add(key);
    }
  }
  return reused;
}
