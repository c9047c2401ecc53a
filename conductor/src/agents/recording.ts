// Record and replay (`--record DIR`, the `replay` provider): each session is
// stored as one JSON file named by role, task, attempt and how many times that
// key came before, so a replay plays the same calls back in the same order.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyPatch, worktreeDiff } from '../git/worktree-diff.js';
import type { AgentRequest, AgentResult, CallContext, ExitClass, Provider, ProviderResult, Usage } from './types.js';
import { ConductorError } from '../errors.js';

export interface RecordedSession {
  role: string;
  taskId?: string;
  attempt: number;
  occurrence: number;
  prompt: string;
  finalMessage: string;
  exit: ExitClass;
  detail?: string;
  usage?: Usage;
  costUsd?: number;
  /** What the agent changed in its worktree (implementers), as a binary patch. */
  diff?: string;
}

/** Counts calls per key, so the n-th call with a key maps to the n-th recording. */
export class CallCounter {
  private readonly seen = new Map<string, number>();
  next(request: AgentRequest): { key: string; occurrence: number } {
    // `_` stands for "no task": it cannot start a task id.
    const key = `${request.role}--${request.taskId ?? '_'}--a${request.attempt}`;
    const occurrence = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, occurrence);
    return { key, occurrence };
  }
}

export function recordingFile(dir: string, key: string, occurrence: number): string {
  return join(dir, `${key}--${occurrence}.json`);
}

/** An `afterCall` hook that stores every session in `dir`. */
export function recorder(dir: string): (call: CallContext, result: AgentResult) => Promise<void> {
  const counter = new CallCounter();
  return async (call, result) => {
    const { key, occurrence } = counter.next(call.request);
    const session: RecordedSession = {
      role: call.request.role,
      attempt: call.request.attempt,
      occurrence,
      prompt: call.request.prompt,
      finalMessage: result.finalMessage,
      exit: result.exit,
    };
    if (call.request.taskId !== undefined) session.taskId = call.request.taskId;
    if (result.detail !== undefined) session.detail = result.detail;
    if (result.usage) session.usage = result.usage;
    if (result.costUsd !== undefined) session.costUsd = result.costUsd;
    if (call.request.role === 'implementer') session.diff = await worktreeDiff(call.request.cwd);
    await mkdir(dir, { recursive: true });
    await writeFile(recordingFile(dir, key, occurrence), `${JSON.stringify(session, null, 2)}\n`);
  };
}

/** The `replay` provider: plays a recorded directory back, applying implementers' diffs to their worktree. */
export function replayProvider(dir: string): Provider {
  const counter = new CallCounter();
  return {
    name: 'replay',
    async run(call: CallContext): Promise<ProviderResult> {
      const { key, occurrence } = counter.next(call.request);
      const file = recordingFile(dir, key, occurrence);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        return { exit: 'failed', finalMessage: '', detail: `no recorded session ${file}` };
      }
      let session: RecordedSession;
      try {
        session = JSON.parse(text) as RecordedSession;
      } catch (error) {
        throw new ConductorError('INPUT_INVALID', `${file} is not a recorded session: ${(error as Error).message}`);
      }
      await writeFile(call.logPath, `# replayed from ${file}\n`);
      if (session.diff) {
        try {
          await applyPatch(call.request.cwd, session.diff);
        } catch (error) {
          return { exit: 'failed', finalMessage: '', detail: `the recorded change does not apply here: ${(error as Error).message.trim().split('\n')[0]}` };
        }
      }
      const result: ProviderResult = { exit: session.exit, finalMessage: session.finalMessage };
      if (session.detail !== undefined) result.detail = session.detail;
      if (session.usage) result.usage = session.usage;
      if (session.costUsd !== undefined) result.costUsd = session.costUsd;
      return result;
    },
  };
}
