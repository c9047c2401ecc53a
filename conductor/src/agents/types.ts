// The agent runtime's contract (CONTRACT §6): every role is one fresh session
// that gets a prompt and returns a final message.
import type { Role } from '../config/types.js';
import type { SandboxSpec } from '../process/sandbox.js';
import type { Supervisor } from '../process/supervisor.js';

/** How a call ended, for retries and reports. */
export type ExitClass =
  | 'ok'
  | 'failed' // non-zero exit or an error the agent reported
  | 'no-output' // exited cleanly but said nothing
  | 'crashed' // killed by a signal it did not get from us
  | 'hung' // no output for the inactivity timeout
  | 'timed-out' // ran past the hard timeout
  | 'cancelled' // Ctrl-C or the run stopping
  | 'quota' // rate-limited or out of quota: not the task's fault
  | 'auth' // no or bad credentials
  | 'not-installed'; // the CLI is not on PATH

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export interface AgentRequest {
  role: Role;
  taskId?: string;
  attempt: number;
  /** The role's whole input. */
  prompt: string;
  /** The worktree (implementers) or a scratch directory (other roles). */
  cwd: string;
  model?: string;
  timeouts: { inactivityMs: number; hardMs: number; graceMs?: number };
  signal?: AbortSignal;
  /** Run under this sandbox; `cwd` and the call directory are made writable on top of `writable`. */
  sandbox?: SandboxSpec;
}

/** What a provider gets for one call, prepared by the session layer. */
export interface CallContext {
  request: AgentRequest;
  sessionId: string;
  /** `.conductor/sessions/<sessionId>/`: prompt.md, output.md, call.log, state/ */
  callDir: string;
  /** The repository's `.conductor/` directory: every agent carries it as CONDUCTOR_HOME, so orphans can be found. */
  conductorDir: string;
  promptFile: string;
  outputFile: string;
  logPath: string;
  /** A private directory for the CLI's own state (HOME, config dirs), removed after the call. */
  stateDir: string;
  /** The parent environment (an allowlist is taken from it). */
  parentEnv: NodeJS.ProcessEnv;
  redact: (text: string) => string;
  supervisor?: Supervisor;
}

export interface ProviderResult {
  exit: ExitClass;
  finalMessage: string;
  /** One line on why, for failures. */
  detail?: string;
  /** The CLI's own session id, when it reports one. */
  cliSessionId?: string;
  usage?: Usage;
  costUsd?: number;
  exitCode?: number | null;
}

export interface Provider {
  readonly name: string;
  run(call: CallContext): Promise<ProviderResult>;
}

export interface AgentResult extends ProviderResult {
  sessionId: string;
  provider: string;
  model?: string;
  durationMs: number;
  logPath: string;
  promptBytes: number;
  promptSha256: string;
}
