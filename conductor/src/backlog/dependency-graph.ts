// Graph algorithms on the task dependency graph: cycles as readable paths and
// dependency order. Edges point from a task to the tasks it depends on.
//
// graphlib holds the graph; the traversals are iterative here because
// graphlib's own tarjan/topsort recurse once per node and overflow the stack
// on a few thousand chained tasks (a real generated backlog can be that deep).
import { createRequire } from 'node:module';
import type { Graph } from '@dagrejs/graphlib';

const require = createRequire(import.meta.url);

export interface DependencyEdgeSource {
  id: string;
  depends_on: readonly string[];
}

/** A graph of known ids only; self and unknown dependencies are left out (reported elsewhere). */
export function buildDependencyGraph(tasks: readonly DependencyEdgeSource[]): Graph {
  // Loaded on first use: an acyclic backlog is checked without it (see tasksOnOrAfterCycles).
  const { Graph } = require('@dagrejs/graphlib') as typeof import('@dagrejs/graphlib');
  const graph = new Graph({ directed: true });
  for (const task of tasks) graph.setNode(task.id);
  for (const task of tasks) {
    for (const dep of task.depends_on) {
      if (dep !== task.id && graph.hasNode(dep)) graph.setEdge(task.id, dep);
    }
  }
  return graph;
}

/** Strongly connected components with more than one node (Tarjan, iteratively). */
export function findCycleComponents(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  for (const root of graph.nodes()) {
    if (index.has(root)) continue;
    const work: { node: string; next: string[] }[] = [];
    const enter = (node: string) => {
      index.set(node, counter);
      low.set(node, counter);
      counter++;
      stack.push(node);
      onStack.add(node);
      work.push({ node, next: [...(graph.successors(node) ?? [])] });
    };
    enter(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const child = frame.next.pop();
      if (child !== undefined) {
        if (!index.has(child)) enter(child);
        else if (onStack.has(child)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(child)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        if (component.length > 1) components.push(component);
      }
    }
  }
  return components;
}

/**
 * The tasks that sit on a cycle or depend on one: what is left after peeling
 * off, again and again, every task whose dependencies are all peeled. An
 * acyclic backlog leaves nothing, so the graph work below is skipped for it.
 */
export function tasksOnOrAfterCycles(tasks: readonly DependencyEdgeSource[]): Set<string> {
  const known = new Set(tasks.map((t) => t.id));
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const task of tasks) {
    let count = 0;
    for (const dep of new Set(task.depends_on)) {
      if (dep === task.id || !known.has(dep)) continue;
      count++;
      const list = dependents.get(dep);
      if (list) list.push(task.id);
      else dependents.set(dep, [task.id]);
    }
    waiting.set(task.id, count);
  }
  const ready = [...waiting].filter(([, n]) => n === 0).map(([id]) => id);
  while (ready.length > 0) {
    const id = ready.pop()!;
    waiting.delete(id);
    for (const dependent of dependents.get(id) ?? []) {
      const left = waiting.get(dependent)! - 1;
      waiting.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  return new Set(waiting.keys());
}

/**
 * One cycle per strongly connected component, as a closed path that starts at
 * the component's smallest id: `['T02', 'T04', 'T03', 'T02']` reads
 * "T02 depends on T04, which depends on T03, which depends on T02".
 */
export function findCyclePaths(graph: Graph): string[][] {
  const cycles: string[][] = [];
  for (const component of findCycleComponents(graph)) {
    const members = new Set(component);
    const start = [...component].sort()[0]!;
    const path = pathBackTo(graph, start, members);
    if (path) cycles.push(path);
  }
  return cycles.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
}

function pathBackTo(graph: Graph, start: string, members: Set<string>): string[] | undefined {
  const visited = new Set<string>([start]);
  const stack: { node: string; next: string[] }[] = [{ node: start, next: successors(graph, start, members) }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const candidate = top.next.shift();
    if (candidate === undefined) {
      stack.pop();
      continue;
    }
    if (candidate === start) return [...stack.map((frame) => frame.node), start];
    if (visited.has(candidate)) continue;
    visited.add(candidate);
    stack.push({ node: candidate, next: successors(graph, candidate, members) });
  }
  return undefined;
}

function successors(graph: Graph, node: string, members: Set<string>): string[] {
  return (graph.successors(node) ?? []).filter((n) => members.has(n)).sort();
}

/** Dependencies before dependents (Kahn's algorithm); undefined when there is a cycle. */
export function dependencyOrder(graph: Graph): string[] | undefined {
  const remaining = new Map<string, number>();
  for (const node of graph.nodes()) remaining.set(node, (graph.successors(node) ?? []).length);
  const ready = graph.nodes().filter((node) => remaining.get(node) === 0);
  const order: string[] = [];
  while (ready.length > 0) {
    const node = ready.shift()!;
    order.push(node);
    for (const dependent of graph.predecessors(node) ?? []) {
      const left = remaining.get(dependent)! - 1;
      remaining.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  return order.length === graph.nodeCount() ? order : undefined;
}
