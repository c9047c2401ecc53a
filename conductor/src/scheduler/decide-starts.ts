// Which tasks to start now: a dynamic ready queue, not waves. A task is ready
// when every dependency is done or skipped; the ready task with the longest
// remaining dependency chain goes first; tasks whose files overlap never run
// at once. Pure: the scheduler calls it on every event and tests call it on
// literal graphs.
import type { TaskState } from '../backlog/types.js';
import { parseFileHint } from '../backlog/scope-paths.js';

export interface SchedulableTask {
  id: string;
  depends_on: readonly string[];
  files_hint: readonly string[];
  status: TaskState;
  /** Estimated duration; only its relative size matters. Defaults to 1. */
  weight?: number;
}

export interface StartDecision {
  start: string[];
  /** Ready tasks held back, with the reason (a file lock or no free slot). */
  waiting: { id: string; reason: string }[];
}

/** States from which a task may be (re)started when its dependencies allow. */
const STARTABLE: ReadonlySet<TaskState> = new Set(['pending', 'ready', 'failed', 'conflict', 'interrupted']);
const SATISFIES: ReadonlySet<TaskState> = new Set(['done', 'skipped']);
/** States that hold a slot and lock their files. */
const ACTIVE: ReadonlySet<TaskState> = new Set(['running', 'verifying', 'review', 'merging']);

export function decideStarts(tasks: readonly SchedulableTask[], slots: number): StartDecision {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const active = tasks.filter((task) => ACTIVE.has(task.status));
  let free = slots - active.length;
  const locked = new FileLocks();
  for (const task of active) locked.add(task.files_hint);

  const chain = remainingChain(tasks);
  const ready = tasks
    .filter((task) => STARTABLE.has(task.status) && task.depends_on.every((dep) => SATISFIES.has(byId.get(dep)?.status ?? 'pending')))
    .sort((a, b) => (chain.get(b.id) ?? 0) - (chain.get(a.id) ?? 0) || a.id.localeCompare(b.id));

  const start: string[] = [];
  const waiting: StartDecision['waiting'] = [];
  for (const task of ready) {
    if (free <= 0) {
      waiting.push({ id: task.id, reason: 'no free slot' });
      continue;
    }
    const clash = locked.clash(task.files_hint);
    if (clash) {
      waiting.push({ id: task.id, reason: `shares ${clash} with a running task` });
      continue;
    }
    start.push(task.id);
    locked.add(task.files_hint);
    free--;
  }
  return { start, waiting };
}

/**
 * For each unfinished task, the weight of the heaviest chain of unfinished
 * tasks that starts with it and runs through its dependents: the critical
 * path still ahead of it.
 */
export function remainingChain(tasks: readonly SchedulableTask[]): Map<string, number> {
  const open = tasks.filter((task) => !SATISFIES.has(task.status) && task.status !== 'blocked');
  const openIds = new Set(open.map((task) => task.id));
  const dependents = new Map<string, string[]>();
  const pendingDependents = new Map<string, number>();
  for (const task of open) pendingDependents.set(task.id, 0);
  for (const task of open) {
    for (const dep of new Set(task.depends_on)) {
      if (!openIds.has(dep) || dep === task.id) continue;
      const list = dependents.get(dep);
      if (list) list.push(task.id);
      else dependents.set(dep, [task.id]);
      pendingDependents.set(dep, (pendingDependents.get(dep) ?? 0) + 1);
    }
  }
  // Process tasks whose dependents are all known, from the sinks back (iteratively: chains can be long).
  const weight = new Map(open.map((task) => [task.id, task.weight ?? 1]));
  const chain = new Map<string, number>();
  const queue = open.filter((task) => pendingDependents.get(task.id) === 0).map((task) => task.id);
  const byId = new Map(open.map((task) => [task.id, task]));
  while (queue.length > 0) {
    const id = queue.pop()!;
    const longest = Math.max(0, ...(dependents.get(id) ?? []).map((d) => chain.get(d) ?? 0));
    chain.set(id, (weight.get(id) ?? 1) + longest);
    for (const dep of new Set(byId.get(id)?.depends_on ?? [])) {
      if (!openIds.has(dep) || dep === id) continue;
      const left = (pendingDependents.get(dep) ?? 1) - 1;
      pendingDependents.set(dep, left);
      if (left === 0) queue.push(dep);
    }
  }
  return chain;
}

/** The files (from files_hint, without line ranges) held by running tasks. */
class FileLocks {
  private readonly paths = new Set<string>();

  add(hints: readonly string[]): void {
    for (const hint of hints) this.paths.add(normalize(hint));
  }

  /** The first held path that `hints` would touch too: the same file, or one inside the other. */
  clash(hints: readonly string[]): string | undefined {
    for (const hint of hints) {
      const path = normalize(hint);
      for (const held of this.paths) {
        if (held === path || held.startsWith(`${path}/`) || path.startsWith(`${held}/`)) return path;
      }
    }
    return undefined;
  }
}

function normalize(hint: string): string {
  return parseFileHint(hint).path.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
}
