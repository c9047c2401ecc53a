// The one way conductor runs another program (agents, gates): an argument
// array, never a shell; stdin closed or fed and closed; its own process group;
// an inactivity and a hard timeout and a cancel signal, whichever comes first,
// then SIGTERM to the group and SIGKILL after a grace period; output streamed
// to a capped, redacted log; completion taken from the exit, not the pipes.
import { execa } from 'execa';
import { ConductorError } from '../errors.js';
import { isGroupAlive, killMarked, signalGroup } from './kill-group.js';
import { OutputLog } from './output-log.js';
import type { Supervisor } from './supervisor.js';

export type EndReason = 'exited' | 'inactivity' | 'hard-timeout' | 'cancelled' | 'finished' | 'spawn-failed';

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
  /** Called per stdout line; return true when the result is complete (the process then gets a grace period to exit). */
  onStdoutLine?: (line: string) => boolean | void;
}

export interface RunOutcome {
  reason: EndReason;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stdoutTruncated: boolean;
  stderrTail: string;
  durationMs: number;
  logPath: string;
  logTruncated: boolean;
  spawnError?: string;
}

const STDERR_TAIL = 4096;

export async function runProcess(options: RunOptions): Promise<RunOutcome> {
  const [file, ...args] = options.argv;
  if (!file) throw new ConductorError('USAGE', 'empty command');
  const graceMs = options.graceMs ?? 5000;
  const captureCap = options.captureCapBytes ?? 8 * 1024 * 1024;
  const log = new OutputLog(options.logPath, options.logCapBytes ?? 5 * 1024 * 1024, options.redact ?? ((t) => t));
  log.note(`$ ${options.argv.map(quoteForLog).join(' ')}  (cwd ${options.cwd})`);
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
  let lineBuffer = '';
  let inactivity: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const pid = child.pid;
  if (pid !== undefined) options.supervisor?.track(pid);

  const terminate = (why: EndReason) => {
    reason ??= why;
    if (pid === undefined || killTimer) return;
    signalGroup(pid, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
  };
  const armInactivity = () => {
    clearTimeout(inactivity);
    inactivity = setTimeout(() => terminate('inactivity'), options.inactivityMs);
  };
  armInactivity();
  const hard = setTimeout(() => terminate('hard-timeout'), options.hardMs);
  const onAbort = () => terminate('cancelled');
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  child.stdout?.on('data', (chunk: Buffer) => {
    armInactivity();
    const text = chunk.toString('utf8');
    log.append('stdout', text);
    if (!stdoutTruncated) {
      if (stdout.length + text.length > captureCap) {
        stdout += text.slice(0, captureCap - stdout.length);
        stdoutTruncated = true;
      } else {
        stdout += text;
      }
    }
    if (options.onStdoutLine) {
      lineBuffer += text;
      let cut: number;
      while ((cut = lineBuffer.indexOf('\n')) !== -1) {
        const line = lineBuffer.slice(0, cut);
        lineBuffer = lineBuffer.slice(cut + 1);
        if (options.onStdoutLine(line) === true) terminateAfterGrace();
      }
      if (lineBuffer.length > 1024 * 1024) lineBuffer = lineBuffer.slice(-1024 * 1024);
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    armInactivity();
    const text = chunk.toString('utf8');
    log.append('stderr', text);
    stderrTail = (stderrTail + text).slice(-STDERR_TAIL);
  });

  let finishedTimer: NodeJS.Timeout | undefined;
  function terminateAfterGrace(): void {
    if (finishedTimer || reason) return;
    finishedTimer = setTimeout(() => terminate('finished'), graceMs);
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
  clearTimeout(inactivity);
  clearTimeout(hard);
  clearTimeout(finishedTimer);
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
  await Promise.race([child, delay(1000)]);
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

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) await delay(25);
}
