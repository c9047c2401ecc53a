// Running the project's gates on the host, in a worktree: each one with its
// own timeout, its output in a log file, and what failed distilled from that
// log (distill/) for the worker's next attempt, the reviewer and the rebase agent.
import { randomUUID } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import type { GateConfig } from '../config/types.js';
import { buildAgentEnv, redactor, secretValues } from '../process/agent-env.js';
import { runProcess } from '../process/run-process.js';
import type { Supervisor } from '../process/supervisor.js';
import type { GateResult } from '../state/status-file.js';
import { gateOutput } from './distill/clean-output.js';
import { distillOutput, GATE_FAILURE_BYTES } from './distill/distill.js';

export interface GateRun extends GateResult {
  /** Marks every process the gate started (CONDUCTOR_GATE_ID), to prove none is left. */
  gateId?: string;
  /** What a failed gate's output says failed: each failing check with its location and message, or its last lines (distill/). */
  failures?: string;
  /** Why it failed, when not by its exit code: a timeout or a missing program. */
  note?: string;
}

export interface GateOptions {
  cwd: string;
  /** Directory for the gate logs, e.g. .conductor/logs/T01/attempt-2. */
  logDir: string;
  defaultTimeoutMinutes: number;
  signal?: AbortSignal;
  supervisor?: Supervisor;
  parentEnv?: NodeJS.ProcessEnv;
  /** The repository's `.conductor/`, carried as CONDUCTOR_HOME so orphans can be found after a crash. */
  conductorDir?: string;
}

/** Run every gate in order (all of them, so every failure is reported at once). */
export async function runGates(gates: readonly GateConfig[], options: GateOptions): Promise<GateRun[]> {
  const parent = options.parentEnv ?? process.env;
  // Gates are the project's own checks, run as the user would run them: with the user's environment (their logs are redacted).
  const env = buildAgentEnv({ parent, passThrough: Object.keys(parent), set: { CI: 'true' } });
  const redact = redactor(secretValues(parent));
  const results: GateRun[] = [];
  for (const gate of gates) {
    const timeoutMs = (gate.timeoutMinutes ?? options.defaultTimeoutMinutes) * 60_000;
    const log = join(options.logDir, `${gate.name}.log`);
    const marker = { name: 'CONDUCTOR_GATE_ID', value: randomUUID() };
    const outcome = await runProcess({
      argv: gate.run,
      cwd: options.cwd,
      env: { ...env, [marker.name]: marker.value, ...(options.conductorDir ? { CONDUCTOR_HOME: options.conductorDir } : {}) },
      marker,
      logPath: log,
      // A gate may be silent for long stretches (a slow test); only the hard timeout applies.
      inactivityMs: timeoutMs,
      hardMs: timeoutMs,
      graceMs: 5000,
      redact,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.supervisor ? { supervisor: options.supervisor } : {}),
    });
    const passed = outcome.reason === 'exited' && outcome.exitCode === 0;
    const result: GateRun = { name: gate.name, passed, durationMs: outcome.durationMs, exitCode: outcome.exitCode, log, gateId: marker.value };
    if (!passed) {
      result.failures = await distillLog(log, options.cwd);
      if (outcome.reason === 'spawn-failed') result.note = outcome.spawnError ?? 'could not start';
      else if (outcome.reason === 'inactivity' || outcome.reason === 'hard-timeout') result.note = `timed out after ${gate.timeoutMinutes ?? options.defaultTimeoutMinutes} min: killed`;
      else if (outcome.reason === 'cancelled') result.note = 'cancelled';
      else if (outcome.signal) result.note = `killed by ${outcome.signal}`;
    }
    results.push(result);
    if (outcome.reason === 'cancelled') break;
  }
  return results;
}

/** What the gate's log says failed (without conductor's own lines), within GATE_FAILURE_BYTES. */
async function distillLog(path: string, cwd: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  // Runners print the real path (macOS's /private/var for /var).
  return distillOutput(gateOutput(text), { cwd: await realpath(cwd).catch(() => cwd), budgetBytes: GATE_FAILURE_BYTES }).text;
}

/** A failed gate as a lesson for the next attempt: its name, when (`after merging into …`), why, and what failed (one line when that is one line). */
export function gateEvidence(gate: GateRun, attempt: number, when?: string): string {
  const head = `attempt ${attempt}: gate ${gate.name} failed${when ? ` ${when}` : ''}${gate.note ? ` (${gate.note})` : ''}`;
  const failures = (gate.failures ?? '').trim();
  if (!failures) return head;
  return failures.includes('\n') ? `${head}:\n${failures.replace(/^/gm, '  ')}` : `${head}: ${failures}`;
}

/** Gates that failed on the base before any task ran: their failures are not a worker's fault. */
export function newlyFailing(results: readonly GateRun[], baselineFailures: ReadonlySet<string>): GateRun[] {
  return results.filter((r) => !r.passed && !baselineFailures.has(r.name));
}
