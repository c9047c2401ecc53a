// `conductor status`: one row per task from the backlog, the status files and
// the sessions ledger. Read-only: a corrupt status file is reported, not moved.
import type { Task, TaskState } from '../backlog/types.js';
import type { LedgerEntry } from '../agents/ledger.js';
import { nextStep } from '../phases/next-step.js';
import type { StatusRead } from '../state/status-file.js';
import { paintState, plain, type Paint } from '../util/colors.js';

export interface TaskRow {
  id: string;
  title: string;
  state: TaskState;
  attempt: number;
  elapsedMs?: number;
  inputTokens: number;
  outputTokens: number;
  costUsd?: number;
  note?: string;
  /** The remote worker the task's attempt runs (or last ran) on (distributed executor). */
  worker?: { id: string; host: string };
}

/** Rows for the table: the backlog's state (a human's edit shows as written), the record's attempt and times, the ledger's totals. */
export function taskRows(backlog: { tasks: readonly Pick<Task, 'id' | 'title' | 'status' | 'attempts'>[] }, records: ReadonlyMap<string, StatusRead>, ledger: readonly Pick<LedgerEntry, 'taskId' | 'inputTokens' | 'outputTokens' | 'costUsd'>[], now: Date): TaskRow[] {
  return backlog.tasks.map((task) => {
    const read = records.get(task.id);
    const record = read?.kind === 'ok' ? read.status : undefined;
    const calls = ledger.filter((entry) => entry.taskId === task.id);
    const cost = calls.reduce<number | undefined>((sum, entry) => (entry.costUsd === undefined ? sum : (sum ?? 0) + entry.costUsd), undefined);
    const row: TaskRow = {
      id: task.id,
      title: task.title,
      state: task.status,
      attempt: Math.max(task.attempts, record?.attempt ?? 0),
      inputTokens: calls.reduce((sum, entry) => sum + (entry.inputTokens ?? 0), 0),
      outputTokens: calls.reduce((sum, entry) => sum + (entry.outputTokens ?? 0), 0),
    };
    if (cost !== undefined) row.costUsd = cost;
    if (record?.worker) row.worker = { id: record.worker.id, host: record.worker.host };
    if (record?.startedAt) row.elapsedMs = (record.endedAt ? Date.parse(record.endedAt) : now.getTime()) - Date.parse(record.startedAt);
    if (read?.kind === 'corrupt') row.note = `status file unreadable: ${read.reason}`;
    else if (record?.note && ['failed', 'blocked', 'interrupted', 'conflict'].includes(task.status)) row.note = record.note;
    else if (task.status === 'review' && record && leftForHuman(record)) row.note = `${record.note}; ${FOR_A_HUMAN}`;
    return row;
  });
}

/** What to do with a task no reviewer gave a usable verdict on. */
const FOR_A_HUMAN = "waiting for you: read that reply, then run conductor resume (or conductor implement) to have a new reviewer look at the attempt's commit, or set the task's status in tasks/BACKLOG.yaml by hand";

function leftForHuman(record: Extract<StatusRead, { kind: 'ok' }>['status']): boolean {
  return nextStep({ status: 'review' }, record, { merged: false }, false).step === 'wait-for-human';
}

/** `paint` colours the states (and the notes of stuck tasks) on a terminal. */
export function renderTaskTable(rows: readonly TaskRow[], paint: Paint = plain): string {
  const notes = noteLines(rows, paint);
  return `${tableLines(rows, paint).join('\n')}\n${notes.length ? `${notes.join('\n')}\n` : ''}\n${summaryLine(rows, paint)}\n`;
}

/** The header and one aligned line per row. */
export function tableLines(rows: readonly TaskRow[], paint: Paint = plain): string[] {
  // Where attempts run: a column only when some ran on a remote worker (the distributed executor).
  const remote = rows.some((row) => row.worker);
  const header = ['ID', 'TITLE', 'STATE', 'ATTEMPT', 'ELAPSED', 'TOKENS IN/OUT', 'COST', ...(remote ? ['WORKER'] : [])];
  const body = rows.map((row) => [
    row.id,
    row.title.length > 40 ? `${row.title.slice(0, 39)}…` : row.title,
    row.state,
    String(row.attempt),
    row.elapsedMs === undefined ? '-' : duration(row.elapsedMs),
    row.inputTokens + row.outputTokens === 0 ? '-' : `${tokens(row.inputTokens)}/${tokens(row.outputTokens)}`,
    row.costUsd === undefined ? '-' : `$${row.costUsd.toFixed(2)}`,
    ...(remote ? [row.worker ? `${row.worker.id}@${row.worker.host}` : '-'] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  // Padding is measured on the plain text; only the state word is coloured.
  const line = (cells: string[], state?: string) => cells.map((cell, i) => (i === 2 && state !== undefined ? `${paintState(paint, cell)}${' '.repeat(widths[i]! - cell.length)}` : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...body.map((cells, i) => line(cells, rows[i]!.state))];
}

export function noteLines(rows: readonly TaskRow[], paint: Paint = plain): string[] {
  return rows.filter((row) => row.note).map((row) => `  ${row.id}: ${row.state === 'review' ? row.note! : paintNote(paint, row.state, row.note!)}`);
}

const paintNote = (paint: Paint, state: string, note: string) => (state === 'interrupted' ? paint.yellow(note) : paint.red(note));

/** `3 tasks: 1 done, 2 pending`, states in the order they first appear. */
export function summaryLine(rows: readonly TaskRow[], paint: Paint = plain): string {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
  return `${rows.length} task${rows.length === 1 ? '' : 's'}: ${[...counts].map(([state, n]) => `${n} ${paintState(paint, state)}`).join(', ')}`;
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function tokens(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n);
}
