// Graph algorithms on the task dependency graph: cycles as readable paths and
// topological order. Edges point from a task to the tasks it depends on.
import { alg, Graph } from '@dagrejs/graphlib';

export interface DependencyEdgeSource {
  id: string;
  depends_on: readonly string[];
}

/** A graph of known ids only; self and unknown dependencies are left out (reported elsewhere). */
export function buildDependencyGraph(tasks: readonly DependencyEdgeSource[]): Graph {
  const graph = new Graph({ directed: true });
  for (const task of tasks) graph.setNode(task.id);
  for (const task of tasks) {
    for (const dep of task.depends_on) {
      if (dep !== task.id && graph.hasNode(dep)) graph.setEdge(task.id, dep);
    }
  }
  return graph;
}

/**
 * One cycle per strongly connected component, as a closed path that starts at
 * the component's smallest id: `['T02', 'T04', 'T03', 'T02']` reads
 * "T02 depends on T04, which depends on T03, which depends on T02".
 */
export function findCyclePaths(graph: Graph): string[][] {
  const cycles: string[][] = [];
  for (const component of alg.findCycles(graph)) {
    const members = new Set(component);
    const start = [...component].sort()[0];
    if (start === undefined) continue;
    const path = pathBackTo(graph, start, members);
    if (path) cycles.push(path);
  }
  return cycles.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
}

function pathBackTo(graph: Graph, start: string, members: Set<string>): string[] | undefined {
  // Iterative DFS so a 5,000-task chain cannot overflow the stack.
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

/** Dependencies before dependents; only meaningful for an acyclic graph. */
export function dependencyOrder(graph: Graph): string[] {
  return alg.topsort(graph).reverse();
}
