// `conductor report`, the figures: one run's agent calls from the ledger and
// its tasks' lives from their status files, turned into plain data (tokens,
// cost, time per phase and per task, context sizes, session reuse, attempts,
// makespan against its lower bound). Pure: the loader reads, the renderer prints.
import { sessionReuseCount, type LedgerEntry } from '../agents/ledger.js';
import type { CostCaps, ModelPrice } from '../config/types.js';
import type { TaskStatus } from '../state/status-file.js';
import { lastEvent } from '../state/task-events.js';
import { callCost } from './cost.js';
import { lowerBound, type LowerBound } from './critical-path.js';
import type { DebrisHit } from './planning-debris.js';
import { taskSteps, type StepKind } from './task-steps.js';

export interface ReportTask {
  id: string;
  depends_on: readonly string[];
  status?: TaskStatus;
}

export interface ReportInput {
  runId: string;
  /** The whole ledger, oldest first: the run's window ends where the next run begins. */
  entries: readonly LedgerEntry[];
  tasks: readonly ReportTask[];
  pricing: Readonly<Record<string, ModelPrice>>;
  concurrency: number;
  taskContextBytes: number;
  caps: CostCaps;
  debris: { checked: number; missing: number; hits: DebrisHit[] };
}

export interface Figures {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Calls whose cost is unknown (no CLI figure, no pricing for the model); counted as 0. */
  unpricedCalls: number;
  /** Summed agent time. */
  agentMs: number;
  /** First call's start to last call's end. */
  wallMs: number;
}

export interface TaskReport extends Figures {
  id: string;
  state?: string;
  attempts: number;
  contextBytes?: number;
  startedAt?: string;
  endedAt?: string;
  note?: string;
  /** Per attempt: worker, setup, gates, review, merge, in time order (task-steps.ts). */
  steps: ReportStep[];
}

export interface ReportStep {
  kind: StepKind;
  attempt: number;
  startedAt: string;
  endedAt: string;
  /** The step ended its attempt badly: the event's kind (failed, conflict, blocked, stopped) and cause. */
  failed?: { kind: string; cause?: string };
  /** Still under way when the report was made. */
  open?: boolean;
}

export interface RunReport {
  runId: string;
  startedAt: string;
  endedAt: string;
  wallMs: number;
  totals: Figures;
  phases: (Figures & { phase: string })[];
  tasks: TaskReport[];
  sessionReuse: number;
  context: { budgetBytes: number; tasks: number; maxBytes?: number; medianBytes?: number; maxWorkerPromptBytes?: number };
  debris: { checked: number; missing: number; hits: DebrisHit[] };
  firstAttempt: { succeeded: number; tasks: number; rate?: number };
  /** Tasks by the attempt they ended on. */
  attempts: Record<string, number>;
  schedule: LowerBound & { concurrency: number; makespanMs: number; ratio?: number };
  caps: { perRun?: { capUsd: number; reachedAt?: string; /** Tasks whose first start came after the cap was reached (none, when the guard works). */ startedAfter?: string[] }; perTask?: number; blocked: { id: string; note: string }[] };
  unpricedModels: string[];
}

export const PHASE_OF_ROLE: Readonly<Record<string, string>> = {
  'planner-spec': 'plan',
  'planner-arch': 'plan',
  'planner-qa': 'plan',
  'plan-merge': 'plan',
  backlog: 'backlog',
  implementer: 'implement',
  reviewer: 'review',
  rebase: 'rebase',
  compressor: 'compress',
};
const PHASE_ORDER = ['plan', 'backlog', 'implement', 'review', 'rebase', 'compress'];

/** Run ids in the order they first appear in the ledger. */
export function runIds(entries: readonly LedgerEntry[]): string[] {
  return [...new Set(entries.flatMap((e) => (e.runId === undefined ? [] : [e.runId])))];
}

const endOf = (e: LedgerEntry) => Date.parse(e.at) + e.durationMs;

export function figures(entries: readonly LedgerEntry[], pricing: ReportInput['pricing']): Figures {
  const out: Figures = { calls: entries.length, inputTokens: 0, outputTokens: 0, costUsd: 0, unpricedCalls: 0, agentMs: 0, wallMs: 0 };
  for (const entry of entries) {
    out.inputTokens += entry.inputTokens ?? 0;
    out.outputTokens += entry.outputTokens ?? 0;
    out.agentMs += entry.durationMs;
    const cost = callCost(entry, pricing);
    if (cost === undefined) out.unpricedCalls++;
    else out.costUsd += cost;
  }
  if (entries.length > 0) out.wallMs = Math.max(...entries.map(endOf)) - Math.min(...entries.map((e) => Date.parse(e.at)));
  return out;
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A task's span in the run: its first start inside the window to its last recorded change or call. */
function taskSpan(task: ReportTask, calls: readonly LedgerEntry[], after: number, before: number): { start: number; end: number } | undefined {
  if (calls.length === 0) return undefined;
  const inWindow = (task.status?.history ?? []).filter((h) => Date.parse(h.at) > after && Date.parse(h.at) < before);
  const firstRun = inWindow.find((h) => h.to === 'running');
  const starts = [...(firstRun ? [Date.parse(firstRun.at)] : []), ...calls.map((e) => Date.parse(e.at))];
  const start = Math.min(...starts);
  const end = Math.max(start, ...inWindow.map((h) => Date.parse(h.at)), ...calls.map(endOf));
  return { start, end };
}

export function computeRunReport(input: ReportInput): RunReport {
  const ids = runIds(input.entries);
  const runEntries = input.entries.filter((e) => e.runId === input.runId);
  // A task's status history belongs to this run between the previous run's last call and the next run's first.
  const callsOf = (id: string | undefined) => input.entries.filter((e) => e.runId === id);
  const previous = ids[ids.indexOf(input.runId) - 1];
  const next = ids[ids.indexOf(input.runId) + 1];
  const after = previous === undefined ? -Infinity : Math.max(...callsOf(previous).map(endOf));
  const before = next === undefined ? Infinity : Math.min(...callsOf(next).map((e) => Date.parse(e.at)));

  const byPhase = new Map<string, LedgerEntry[]>();
  for (const entry of runEntries) {
    const phase = PHASE_OF_ROLE[entry.role] ?? entry.role;
    byPhase.set(phase, [...(byPhase.get(phase) ?? []), entry]);
  }
  const phases = [...byPhase.keys()]
    .sort((a, b) => (PHASE_ORDER.indexOf(a) + 1 || 99) - (PHASE_ORDER.indexOf(b) + 1 || 99))
    .map((phase) => ({ phase, ...figures(byPhase.get(phase)!, input.pricing) }));

  const tasks: TaskReport[] = [];
  const spans = new Map<string, { start: number; end: number }>();
  for (const task of input.tasks) {
    const calls = runEntries.filter((e) => e.taskId === task.id);
    const span = taskSpan(task, calls, after, before);
    if (!span) continue;
    spans.set(task.id, span);
    const status = task.status;
    const steps = taskSteps(status?.history ?? [], { after, before, now: span.end }).map(({ start, end, ...step }): ReportStep => ({ ...step, startedAt: new Date(start).toISOString(), endedAt: new Date(end).toISOString() }));
    const row: TaskReport = { id: task.id, ...figures(calls, input.pricing), attempts: status?.attempt ?? Math.max(0, ...calls.map((e) => e.attempt)), startedAt: new Date(span.start).toISOString(), endedAt: new Date(span.end).toISOString(), steps };
    if (status) row.state = status.status;
    if (status?.metrics?.contextBytes !== undefined) row.contextBytes = status.metrics.contextBytes;
    if (status?.note !== undefined && status.status !== 'done') row.note = status.note;
    tasks.push(row);
  }

  const contextSizes = tasks.flatMap((t) => (t.contextBytes === undefined ? [] : [t.contextBytes]));
  const workerPrompts = runEntries.filter((e) => e.role === 'implementer').map((e) => e.promptBytes);
  const context: RunReport['context'] = { budgetBytes: input.taskContextBytes, tasks: contextSizes.length };
  if (contextSizes.length > 0) Object.assign(context, { maxBytes: Math.max(...contextSizes), medianBytes: median(contextSizes) });
  if (workerPrompts.length > 0) context.maxWorkerPromptBytes = Math.max(...workerPrompts);

  const finished = tasks.filter((t) => t.state === 'done' || t.state === 'blocked' || t.state === 'failed');
  const succeeded = finished.filter((t) => t.state === 'done' && t.attempts === 1).length;
  const attempts: Record<string, number> = {};
  for (const task of tasks) attempts[String(task.attempts)] = (attempts[String(task.attempts)] ?? 0) + 1;

  const timed = input.tasks.map((t) => ({ id: t.id, depends_on: t.depends_on, durationMs: spans.has(t.id) ? spans.get(t.id)!.end - spans.get(t.id)!.start : 0 }));
  const bound = lowerBound(timed, input.concurrency);
  const spanList = [...spans.values()];
  const makespanMs = spanList.length === 0 ? 0 : Math.max(...spanList.map((s) => s.end)) - Math.min(...spanList.map((s) => s.start));
  const schedule: RunReport['schedule'] = { ...bound, concurrency: input.concurrency, makespanMs };
  if (bound.lowerBoundMs > 0) schedule.ratio = makespanMs / bound.lowerBoundMs;

  const totals = figures(runEntries, input.pricing);
  const from = Math.min(...runEntries.map((e) => Date.parse(e.at)), ...spanList.map((s) => s.start));
  const end = Math.max(...runEntries.map(endOf), ...spanList.map((s) => s.end));
  const unpricedModels = [...new Set(runEntries.filter((e) => callCost(e, input.pricing) === undefined && e.inputTokens !== undefined).map((e) => e.model ?? `(${e.provider}, no model)`))].sort();

  return {
    runId: input.runId,
    startedAt: new Date(from).toISOString(),
    endedAt: new Date(end).toISOString(),
    wallMs: end - from,
    totals,
    phases,
    tasks,
    sessionReuse: sessionReuseCount(runEntries),
    context,
    debris: input.debris,
    firstAttempt: { succeeded, tasks: finished.length, ...(finished.length > 0 ? { rate: succeeded / finished.length } : {}) },
    attempts,
    schedule,
    caps: capReport(input, runEntries, tasks),
    unpricedModels,
  };
}

/** When the per-run cap was crossed (the end of the call that crossed it), and which tasks a per-task cap blocked. */
function capReport(input: ReportInput, runEntries: readonly LedgerEntry[], tasks: readonly TaskReport[]): RunReport['caps'] {
  // Blocked by a cap: the blocking event's cause says so (the note is prose and may be reworded).
  const capped = (id: string) => {
    const history = input.tasks.find((t) => t.id === id)?.status?.history ?? [];
    const last = lastEvent(history);
    return last?.kind === 'blocked' && last.cause === 'cost-cap';
  };
  const caps: RunReport['caps'] = { blocked: tasks.filter((t) => t.state === 'blocked' && capped(t.id)).map((t) => ({ id: t.id, note: t.note ?? '' })) };
  if (input.caps.perTask !== undefined) caps.perTask = input.caps.perTask;
  const cap = input.caps.perRun;
  if (cap === undefined) return caps;
  caps.perRun = { capUsd: cap };
  let spent = 0;
  for (const entry of [...runEntries].sort((a, b) => endOf(a) - endOf(b))) {
    spent += callCost(entry, input.pricing) ?? 0;
    if (spent >= cap) {
      caps.perRun.reachedAt = new Date(endOf(entry)).toISOString();
      caps.perRun.startedAfter = tasks.filter((t) => Date.parse(t.startedAt!) > endOf(entry)).map((t) => t.id);
      break;
    }
  }
  return caps;
}
