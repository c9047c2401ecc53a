// tasks/<id>.status.json: the machine record of a task's life. Written
// atomically, validated when read back, and never silently reset: a corrupt
// file is moved aside and reported.
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { ConductorError, messageOf } from '../errors.js';
import { schemaErrors } from '../schema/validators.js';
import { writeJsonAtomically } from './atomic-write.js';
import { canTransition, type Actor } from './task-states.js';
import { defaultKind, type EventInput, type TaskEvent } from './task-events.js';
import type { TaskState } from '../backlog/types.js';

/** The worktree's preparation before the gates, and where the project's own packages resolved (#16). */
export interface SetupRecord {
  ok: boolean;
  method: 'none' | 'prepared' | 'clone' | 'install' | 'command';
  durationMs: number;
  log?: string;
  detail?: string;
  resolution?: { name: string; path?: string; inside: boolean }[];
}

export interface GateResult {
  name: string;
  passed: boolean;
  durationMs: number;
  exitCode?: number | null;
  log?: string;
}

export interface TaskStatus {
  id: string;
  status: TaskState;
  attempt: number;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  endedAt?: string;
  session?: { id: string; provider: string; model?: string; started?: string; ended?: string };
  worktree?: string;
  branch?: string;
  baseCommit?: string;
  pid?: number;
  /** The remote worker that took the attempt (distributed executor). */
  worker?: { id: string; host: string };
  /** The queue job of a remote attempt, recorded before it is sent (a resume re-attaches to it). */
  remote?: { jobId: string; token: string; attempt: number };
  verification?: { gates: GateResult[]; setup?: SetupRecord };
  files?: { modified?: string[] };
  metrics?: { inputTokens?: number; outputTokens?: number; costUsd?: number; contextBytes?: number; durationMs?: number };
  review?: { verdict: 'approve' | 'changes' | 'rebase'; summary?: string };
  note?: string;
  /** Every state change, oldest first, as a typed event (task-events.ts). */
  history: TaskEvent[];
}

export type StatusRead =
  | { kind: 'missing'; path: string }
  | { kind: 'ok'; path: string; status: TaskStatus }
  | { kind: 'corrupt'; path: string; reason: string; /** Where it was set aside (not set by peekTaskStatus). */ movedTo?: string };

export function statusPath(tasksDir: string, id: string): string {
  return join(tasksDir, `${id}.status.json`);
}

export function newTaskStatus(id: string, now: Date = new Date()): TaskStatus {
  const at = now.toISOString();
  return { id, status: 'pending', attempt: 0, createdAt: at, updatedAt: at, history: [{ at, to: 'pending', kind: 'created', attempt: 0 }] };
}

/**
 * A new record with the state changed and the change appended to `history` as a typed event. `attempt`
 * is the attempt the event belongs to (default: the record's); the note is for humans only.
 */
export function transition(status: TaskStatus, to: TaskState, options: { by?: Actor; note?: string; now?: Date; event?: EventInput; attempt?: number } = {}): TaskStatus {
  const by = options.by ?? 'conductor';
  if (status.status !== to && !canTransition(status.status, to, by)) {
    throw new ConductorError('STATE_CORRUPT', `task ${status.id} cannot go from ${status.status} to ${to}`, { hint: 'this is a bug in conductor; please report it' });
  }
  const at = (options.now ?? new Date()).toISOString();
  const event = options.event ?? {};
  const entry: TaskEvent = { at, from: status.status, to, kind: event.kind ?? (by === 'human' ? 'human' : defaultKind(to)), attempt: options.attempt ?? status.attempt };
  if (event.cause !== undefined) entry.cause = event.cause;
  if (event.stage !== undefined || event.data !== undefined) entry.data = { ...event.data, ...(event.stage ? { stage: event.stage } : {}) };
  if (options.note !== undefined) entry.note = options.note;
  const next: TaskStatus = { ...status, status: to, updatedAt: at, history: [...status.history, entry] };
  if (options.note !== undefined) next.note = options.note;
  return next;
}

export async function writeTaskStatus(tasksDir: string, status: TaskStatus): Promise<void> {
  const errors = schemaErrors('status', status);
  if (errors.length > 0) {
    const first = errors[0]!;
    throw new ConductorError('STATE_CORRUPT', `refusing to write an invalid status for ${status.id}: ${first.instancePath || '/'} ${first.message ?? ''}`.trim(), { hint: 'this is a bug in conductor; please report it' });
  }
  await writeJsonAtomically(statusPath(tasksDir, status.id), status);
}

export async function readTaskStatus(tasksDir: string, id: string, now: Date = new Date()): Promise<StatusRead> {
  const peeked = await peekTaskStatus(tasksDir, id);
  if (peeked.kind !== 'corrupt') return peeked;
  const movedTo = `${peeked.path}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
  try {
    await rename(peeked.path, movedTo);
  } catch (error) {
    throw new ConductorError('IO', `cannot move aside the corrupt ${peeked.path}: ${messageOf(error)}`, { cause: error });
  }
  return { ...peeked, movedTo };
}

/** Read a status file without changing anything: for read-only commands like `status`. */
export async function peekTaskStatus(tasksDir: string, id: string): Promise<StatusRead> {
  const path = statusPath(tasksDir, id);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return { kind: 'missing', path };
    throw new ConductorError('IO', `cannot read ${path}: ${messageOf(error)}`, { cause: error });
  }
  const reason = corruption(text, id);
  if (reason === undefined) return { kind: 'ok', path, status: JSON.parse(text) as TaskStatus };
  return { kind: 'corrupt', path, reason };
}

/** Why `text` is not a valid status record for `id`, or undefined. */
function corruption(text: string, id: string): string | undefined {
  if (text.trim() === '') return 'the file is empty';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not valid JSON (${messageOf(error)})`;
  }
  const errors = schemaErrors('status', value);
  if (errors.length > 0) {
    const first = errors[0]!;
    return `does not match the status schema: ${first.instancePath || '/'} ${first.message ?? ''}`.trim();
  }
  if ((value as TaskStatus).id !== id) return `belongs to task "${(value as TaskStatus).id}", not "${id}"`;
  return undefined;
}
