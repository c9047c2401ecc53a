// The one way conductor runs another program (agents, gates): an argument
// array, never a shell; stdin closed or fed and closed; its own process group;
// an inactivity and a hard timeout and a cancel signal, whichever comes first,
// then SIGTERM to the group and SIGKILL after a grace period; output streamed
// to a capped, redacted log; completion taken from the exit, not the pipes.
import { execa } from 'execa';
import { ConductorError } from '../errors.js';
import { isGroupAlive, killMarked, signalGroup } from './kill-group.js';
import { OutputLog } from './output-log.js';
import { sandboxArgv, type SandboxSpec } from './sandbox.js';
import type { Supervisor } from './supervisor.js';

export type EndReason = 'exited' | 'inactivity' | 'hard-timeout' | 'cancelled' | 'finished' | 'quota' | 'spawn-failed';

/** What an output line says: the result is complete, or the agent is stuck on a rate limit. */
export type LineVerdict = 'finished' | 'quota' | undefined | void;

export interface RunOptions {
  /** Program and arguments. */
  argv: readonly string[];
  cwd: string;
  /** The child's complete environment (see buildAgentEnv). */
  env: Record<string, string>;
  /** Fed to stdin, which is then closed; without it stdin is closed at once. */
  input?: string;
  logPath: string;
  logCapBytes?: number;
  /** Stdout kept in memory for parsing; the log keeps the rest. */
  captureCapBytes?: number;
  inactivityMs: number;
  hardMs: number;
  graceMs?: number;
  signal?: AbortSignal;
  redact?: (text: string) => string;
  supervisor?: Supervisor;
  /** A variable set in `env` that marks every descendant, to find setsid escapees. */
  marker?: { name: string; value: string };
  /**
   * Called per output line. 'finished': the result is complete, so the process
   * gets a grace period to exit. 'quota': it is retrying against a rate limit;
   * unless it finishes within `quotaGraceMs` it is stopped, as retries would
   * otherwise keep it "active" until the hard timeout.
   */
  onLine?: (line: string, channel: 'stdout' | 'stderr') => LineVerdict;
  quotaGraceMs?: number;
  /** Run the program inside this sandbox (bubblewrap). */
  sandbox?: SandboxSpec;
}

export interface RunOutcome {
  reason: EndReason;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stdoutTruncated: boolean;
  stderrTail: string;
  /** The first bytes of stderr: where the first real error usually is, before the trace and noise that follow. */
  stderrHead: string;
  durationMs: number;
  logPath: string;
  logTruncated: boolean;
  spawnError?: string;
}

const STDERR_TAIL = 4096;

export async function runProcess(options: RunOptions): Promise<RunOutcome> {
  if (options.argv.length === 0) throw new ConductorError('USAGE', 'empty command');
  const argv = options.sandbox ? sandboxArgv(options.argv, options.sandbox) : options.argv;
  const [file = '', ...args] = argv;
  const graceMs = options.graceMs ?? 5000;
  const captureCap = options.captureCapBytes ?? 8 * 1024 * 1024;
  const log = new OutputLog(options.logPath, options.logCapBytes ?? 5 * 1024 * 1024, options.redact ?? ((t) => t));
  log.note(`$ ${argv.map(quoteForLog).join(' ')}  (cwd ${options.cwd})`);
  const started = Date.now();

  const child = execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    detached: true, // its own process group, so timeouts reach grandchildren
    cleanup: false, // the supervisor ends groups; execa's cleanup would reach only the child
    reject: false,
    windowsHide: true,
  });

  let reason: EndReason | undefined;
  let stdout = '';
  let stdoutTruncated = false;
  let stderrTail = '';
  let stderrHead = '';
  let inactivity: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const pid = child.pid;
  if (pid !== undefined) options.supervisor?.track(pid);

  /** Set once the process has exited: output still draining from its pipes must not arm a timer again. */
  let exitedAlready = false;
  const terminate = (why: EndReason) => {
    reason ??= why;
    if (pid === undefined || killTimer || exitedAlready) return;
    signalGroup(pid, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
  };
  const armInactivity = () => {
    clearTimeout(inactivity);
    if (exitedAlready) return;
    inactivity = setTimeout(() => terminate('inactivity'), options.inactivityMs);
  };
  armInactivity();
  const hard = setTimeout(() => terminate('hard-timeout'), options.hardMs);
  const onAbort = () => terminate('cancelled');
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const lines = { stdout: '', stderr: '' };
  const scan = (channel: 'stdout' | 'stderr', text: string) => {
    if (!options.onLine) return;
    let buffer = lines[channel] + text;
    let cut: number;
    while ((cut = buffer.indexOf('\n')) !== -1) {
      const verdict = options.onLine(buffer.slice(0, cut), channel);
      buffer = buffer.slice(cut + 1);
      if (verdict === 'finished') terminateAfterGrace();
      else if (verdict === 'quota') stopUnlessFinished();
    }
    lines[channel] = buffer.length > 1024 * 1024 ? buffer.slice(-1024 * 1024) : buffer;
  };

  // Decode as streams, so a character split across two chunks stays whole.
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (text: string) => {
    armInactivity();
    log.append('stdout', text);
    if (!stdoutTruncated) {
      if (stdout.length + text.length > captureCap) {
        stdout += text.slice(0, captureCap - stdout.length);
        stdoutTruncated = true;
      } else {
        stdout += text;
      }
    }
    scan('stdout', text);
  });
  child.stderr?.on('data', (text: string) => {
    armInactivity();
    log.append('stderr', text);
    stderrTail = (stderrTail + text).slice(-STDERR_TAIL);
    if (stderrHead.length < STDERR_TAIL) stderrHead = (stderrHead + text).slice(0, STDERR_TAIL);
    scan('stderr', text);
  });

  let finishedTimer: NodeJS.Timeout | undefined;
  let quotaTimer: NodeJS.Timeout | undefined;
  function terminateAfterGrace(): void {
    clearTimeout(quotaTimer);
    if (finishedTimer || reason || exitedAlready) return;
    finishedTimer = setTimeout(() => terminate('finished'), graceMs);
  }
  function stopUnlessFinished(): void {
    if (quotaTimer || finishedTimer || reason || exitedAlready) return;
    quotaTimer = setTimeout(() => terminate('quota'), options.quotaGraceMs ?? 60_000);
  }

  // Completion is the exit of the process, not the end of its pipes: a
  // grandchild may hold stdout open forever.
  let startError: (Error & { code?: string }) | undefined;
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => {
      if (pid === undefined) startError = error;
      resolve({ code: null, signal: null });
    });
  });
  const { code, signal } = await exited;
  exitedAlready = true;
  clearTimeout(inactivity);
  clearTimeout(hard);
  clearTimeout(finishedTimer);
  clearTimeout(quotaTimer);
  options.signal?.removeEventListener('abort', onAbort);

  // Whatever the agent left behind in its group goes now, then any setsid escapee.
  if (pid !== undefined && isGroupAlive(pid)) {
    signalGroup(pid, 'SIGTERM');
    await waitFor(() => !isGroupAlive(pid), Math.min(graceMs, 2000));
    signalGroup(pid, 'SIGKILL');
  }
  clearTimeout(killTimer);
  if (options.marker) killMarked(options.marker.name, options.marker.value);
  if (pid !== undefined) options.supervisor?.untrack(pid);

  // The pipes close once no process holds them; don't wait on one that never will.
  await settledWithin(child, 1000);
  child.stdout?.destroy();
  child.stderr?.destroy();
  const spawnError = startError ? spawnMessage(startError, file) : undefined;

  const outcome: RunOutcome = {
    reason: spawnError ? 'spawn-failed' : (reason ?? 'exited'),
    exitCode: code,
    signal,
    stdout,
    stdoutTruncated,
    stderrTail,
    stderrHead,
    durationMs: Date.now() - started,
    logPath: options.logPath,
    logTruncated: log.truncated,
  };
  if (spawnError) outcome.spawnError = spawnError;
  log.note(`ended: ${outcome.reason}, exit ${code ?? '-'}${signal ? `, signal ${signal}` : ''}, ${outcome.durationMs} ms${spawnError ? `, ${spawnError}` : ''}`);
  await log.close();
  return outcome;
}

function spawnMessage(error: Error & { code?: string }, file: string): string {
  if (error.code === 'ENOENT') return `command not found: ${file}`;
  if (error.code === 'EACCES') return `permission denied: ${file}`;
  return `cannot start ${file}: ${error.message}`;
}

function quoteForLog(arg: string): string {
  const short = arg.length > 200 ? `${arg.slice(0, 200)}…(${arg.length} chars)` : arg;
  return /^[\w@%+=:,./-]+$/.test(short) ? short : JSON.stringify(short);
}

/**
 * A referenced timer, on purpose: while conductor waits out what an agent left
 * behind, this timer may be the only thing keeping Node's event loop alive. An
 * unref'd one let Node exit (code 13, no message) in the middle of a run.
 */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Wait for `promise`, at most `ms`; the timer goes as soon as it settles, so it holds nothing up afterwards. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise.then(noop, noop), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

const noop = (): void => undefined;

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) await delay(25);
}
