// The makespan's lower bound from the tasks' real durations: no schedule can
// beat the longest dependency chain, nor the total work spread over every slot.

export interface TimedTask {
  id: string;
  depends_on: readonly string[];
  /** Wall time of the task in the run; 0 when it did not run. */
  durationMs: number;
}

export interface LowerBound {
  criticalPathMs: number;
  /** The chain that gives it, first task first. */
  criticalPath: string[];
  totalWorkMs: number;
  /** max(critical path, total work / concurrency). */
  lowerBoundMs: number;
}

/** Longest path by duration, in dependency order (Kahn). The backlog is known to be acyclic; unknown ids are ignored. */
export function lowerBound(tasks: readonly TimedTask[], concurrency: number): LowerBound {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const waiting = new Map(tasks.map((t) => [t.id, t.depends_on.filter((d) => d !== t.id && byId.has(d)).length]));
  const dependents = new Map<string, string[]>();
  for (const task of tasks) for (const dep of task.depends_on) if (byId.has(dep) && dep !== task.id) dependents.set(dep, [...(dependents.get(dep) ?? []), task.id]);
  const finish = new Map<string, number>();
  const via = new Map<string, string>();
  const queue = tasks.filter((t) => waiting.get(t.id) === 0).map((t) => t.id);
  while (queue.length > 0) {
    const id = queue.shift()!;
    const task = byId.get(id)!;
    let start = 0;
    for (const dep of task.depends_on) {
      const end = finish.get(dep);
      if (end !== undefined && end > start) {
        start = end;
        via.set(id, dep);
      }
    }
    finish.set(id, start + task.durationMs);
    for (const next of dependents.get(id) ?? []) {
      const left = waiting.get(next)! - 1;
      waiting.set(next, left);
      if (left === 0) queue.push(next);
    }
  }
  let last: string | undefined;
  for (const [id, end] of finish) if (last === undefined || end > finish.get(last)!) last = id;
  const criticalPath: string[] = [];
  for (let id = last; id !== undefined; id = via.get(id)) criticalPath.unshift(id);
  const criticalPathMs = last === undefined ? 0 : finish.get(last)!;
  const totalWorkMs = tasks.reduce((sum, t) => sum + t.durationMs, 0);
  return { criticalPathMs, criticalPath, totalWorkMs, lowerBoundMs: Math.max(criticalPathMs, totalWorkMs / Math.max(1, concurrency)) };
}
