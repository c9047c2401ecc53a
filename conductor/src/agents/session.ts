// One agent call = one new session: a fresh id and call directory, the prompt
// written to a file, the provider run, the result recorded in the ledger, and
// the CLI's private state (where it persists sessions) deleted afterwards.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { redactor, secretValues } from '../process/agent-env.js';
import type { Supervisor } from '../process/supervisor.js';
import { appendLedger, ledgerEntry } from './ledger.js';
import { emitEvent, type EventBody } from '../events/event-log.js';
import type { AgentRequest, AgentResult, CallContext, Provider } from './types.js';

export interface SessionOptions {
  /** The repository's `.conductor/` directory. */
  conductorDir: string;
  /** Recorded on the ledger line: which run the call belongs to. */
  runId?: string;
  parentEnv?: NodeJS.ProcessEnv;
  supervisor?: Supervisor;
  now?: () => Date;
  /** Called after the provider ran and before the ledger line (record mode hooks in here). */
  afterCall?: (call: CallContext, result: AgentResult) => Promise<void>;
  /** Told each session-start and session-end event as it is written (a remote worker reports them to its coordinator). */
  onEvent?: (event: SessionEvent) => Promise<void>;
}

export type SessionEvent = Extract<EventBody, { type: 'session-start' | 'session-end' }>;

export async function runAgentCall(provider: Provider, request: AgentRequest, options: SessionOptions): Promise<AgentResult> {
  const now = options.now ?? (() => new Date());
  const parentEnv = options.parentEnv ?? process.env;
  const sessionId = randomUUID();
  const callDir = join(options.conductorDir, 'sessions', sessionId);
  const stateDir = join(callDir, 'state');
  await mkdir(stateDir, { recursive: true });
  const call: CallContext = {
    request,
    sessionId,
    callDir,
    conductorDir: options.conductorDir,
    promptFile: join(callDir, 'prompt.md'),
    outputFile: join(callDir, 'output.md'),
    logPath: join(callDir, 'call.log'),
    stateDir,
    parentEnv,
    redact: redactor(secretValues(parentEnv)),
    ...(options.supervisor ? { supervisor: options.supervisor } : {}),
  };
  await writeFile(call.promptFile, request.prompt);

  const started = now();
  const startedMs = Date.now();
  const who = { sessionId, role: request.role, ...(request.taskId !== undefined ? { task: request.taskId } : {}), attempt: request.attempt };
  const start: SessionEvent = { type: 'session-start', ...who, provider: provider.name, ...(request.model !== undefined ? { model: request.model } : {}), log: call.logPath };
  await emitEvent(options.conductorDir, start, started);
  await options.onEvent?.(start);
  let result: AgentResult;
  try {
    const outcome = await provider.run(call);
    result = {
      ...outcome,
      sessionId,
      provider: provider.name,
      durationMs: Date.now() - startedMs,
      logPath: call.logPath,
      promptBytes: Buffer.byteLength(request.prompt),
      promptSha256: createHash('sha256').update(request.prompt).digest('hex'),
    };
    if (request.model !== undefined) result.model = request.model;
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
  await writeFile(call.outputFile, result.finalMessage);
  await options.afterCall?.(call, result);
  const entry = ledgerEntry(request, result, started, options.runId);
  await appendLedger(options.conductorDir, entry);
  const { inputTokens, outputTokens, costUsd, detail } = entry;
  const end: SessionEvent = { type: 'session-end', ...who, exit: result.exit, durationMs: result.durationMs, ...(inputTokens !== undefined ? { inputTokens } : {}), ...(outputTokens !== undefined ? { outputTokens } : {}), ...(costUsd !== undefined ? { costUsd } : {}), ...(detail !== undefined ? { detail } : {}) };
  await emitEvent(options.conductorDir, end);
  await options.onEvent?.(end);
  return result;
}

/** Where a call's final message was saved: `output.md`, beside its `call.log`. */
export function replyPathOf(result: Pick<AgentResult, 'logPath'>): string {
  return join(dirname(result.logPath), 'output.md');
}
