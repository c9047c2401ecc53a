// A discrete-event simulation of a run, for the scheduler's tests and
// benchmark: tasks with known durations, a number of slots, and either the
// dynamic ready queue (decideStarts) or wave barriers, for comparison.
import { decideStarts, remainingChain, type SchedulableTask } from './decide-starts.js';

export interface SimTask {
  id: string;
  depends_on: string[];
  files_hint: string[];
  duration: number;
}

export interface Simulation {
  makespan: number;
  /** Start and end of each task. */
  timeline: Map<string, { start: number; end: number }>;
}

export function simulateDynamic(tasks: readonly SimTask[], slots: number): Simulation {
  const status = new Map<string, SchedulableTask['status']>(tasks.map((t) => [t.id, 'pending']));
  const timeline = new Map<string, { start: number; end: number }>();
  const running = new Map<string, number>();
  let now = 0;
  for (;;) {
    const view: SchedulableTask[] = tasks.map((t) => ({ id: t.id, depends_on: t.depends_on, files_hint: t.files_hint, status: status.get(t.id)!, weight: t.duration }));
    for (const id of decideStarts(view, slots).start) {
      const task = tasks.find((t) => t.id === id)!;
      status.set(id, 'running');
      running.set(id, now + task.duration);
      timeline.set(id, { start: now, end: now + task.duration });
    }
    if (running.size === 0) break;
    now = Math.min(...running.values());
    for (const [id, end] of [...running]) {
      if (end <= now) {
        running.delete(id);
        status.set(id, 'done');
      }
    }
  }
  return { makespan: now, timeline };
}

/** The classic alternative: run all tasks of one dependency depth, wait for every one, then the next depth. */
export function simulateWaves(tasks: readonly SimTask[], slots: number): Simulation {
  const depth = new Map<string, number>();
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const stack: string[] = [id];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const deps = byId.get(top)?.depends_on ?? [];
      const missing = deps.filter((d) => !depth.has(d));
      if (missing.length > 0) {
        stack.push(...missing);
        continue;
      }
      depth.set(top, deps.length === 0 ? 0 : 1 + Math.max(...deps.map((d) => depth.get(d)!)));
      stack.pop();
    }
    return depth.get(id)!;
  };
  for (const task of tasks) depthOf(task.id);
  const waves = new Map<number, SimTask[]>();
  for (const task of tasks) waves.set(depth.get(task.id)!, [...(waves.get(depth.get(task.id)!) ?? []), task]);
  const timeline = new Map<string, { start: number; end: number }>();
  let now = 0;
  for (const level of [...waves.keys()].sort((a, b) => a - b)) {
    const wave = waves.get(level)!;
    const sim = simulateDynamic(wave.map((t) => ({ ...t, depends_on: [] })), slots);
    for (const [id, span] of sim.timeline) timeline.set(id, { start: now + span.start, end: now + span.end });
    now += sim.makespan;
  }
  return { makespan: now, timeline };
}

/** No schedule can beat the heaviest chain, nor the total work spread over every slot. */
export function makespanLowerBound(tasks: readonly SimTask[], slots: number): number {
  const chains = remainingChain(tasks.map((t) => ({ id: t.id, depends_on: t.depends_on, files_hint: t.files_hint, status: 'pending' as const, weight: t.duration })));
  const critical = Math.max(0, ...chains.values());
  const work = tasks.reduce((sum, t) => sum + t.duration, 0);
  return Math.max(critical, work / slots);
}

/** A random DAG of `n` tasks with skewed durations (many short, a few long), deterministic per seed. */
export function randomDag(n: number, seed: number, options: { maxDeps?: number; skew?: boolean } = {}): SimTask[] {
  let state = seed >>> 0;
  const next = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const tasks: SimTask[] = [];
  for (let i = 0; i < n; i++) {
    const deps = new Set<string>();
    const count = i === 0 ? 0 : Math.floor(next() * ((options.maxDeps ?? 3) + 1));
    for (let d = 0; d < count; d++) deps.add(`T${Math.floor(next() * i)}`);
    const duration = options.skew === false ? 1 + Math.floor(next() * 10) : next() < 0.15 ? 20 + Math.floor(next() * 40) : 1 + Math.floor(next() * 5);
    tasks.push({ id: `T${i}`, depends_on: [...deps], files_hint: [`src/t${i}.ts`], duration });
  }
  return tasks;
}
