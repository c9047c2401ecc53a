import { describe, expect, it } from 'vitest';
import { buildDependencyGraph, dependencyOrder, findCycleComponents, findCyclePaths, tasksOnOrAfterCycles } from '../src/backlog/dependency-graph.js';

const graph = (edges: Record<string, string[]>) => buildDependencyGraph(Object.entries(edges).map(([id, depends_on]) => ({ id, depends_on })));

describe('dependency graph', () => {
  it('orders dependencies before dependents', () => {
    const order = dependencyOrder(graph({ C: ['A', 'B'], B: ['A'], A: [], D: ['C'] }));
    expect(order).toEqual(['A', 'B', 'C', 'D']);
  });

  it('has no order when there is a cycle', () => {
    expect(dependencyOrder(graph({ A: ['B'], B: ['A'] }))).toBeUndefined();
  });

  it('ignores self and unknown dependencies (reported elsewhere)', () => {
    expect(findCyclePaths(graph({ A: ['A', 'Z'] }))).toEqual([]);
  });

  it('finds each strongly connected component once', () => {
    const components = findCycleComponents(graph({ A: ['B'], B: ['C'], C: ['A'], D: ['E'], E: ['D'], F: ['A'] }));
    expect(components.map((c) => [...c].sort())).toEqual(expect.arrayContaining([['A', 'B', 'C'], ['D', 'E']]));
    expect(components).toHaveLength(2);
  });

  it('names a cycle as a closed path from its smallest id', () => {
    expect(findCyclePaths(graph({ T03: ['T02'], T02: ['T04'], T04: ['T03'] }))).toEqual([['T02', 'T04', 'T03', 'T02']]);
  });

  it('handles a 20,000-task chain iteratively', () => {
    const edges: Record<string, string[]> = {};
    for (let i = 0; i < 20_000; i++) edges[`T${i}`] = i === 0 ? [] : [`T${i - 1}`];
    const g = graph(edges);
    expect(findCyclePaths(g)).toEqual([]);
    expect(dependencyOrder(g)?.slice(0, 3)).toEqual(['T0', 'T1', 'T2']);
  });
});

describe('peeling acyclic tasks off', () => {
  it('leaves nothing for an acyclic backlog', () => {
    expect(tasksOnOrAfterCycles([{ id: 'A', depends_on: [] }, { id: 'B', depends_on: ['A', 'A'] }])).toEqual(new Set());
  });

  it('leaves the tasks on a cycle and those that depend on one', () => {
    const left = tasksOnOrAfterCycles([
      { id: 'A', depends_on: [] },
      { id: 'B', depends_on: ['C', 'A'] },
      { id: 'C', depends_on: ['B'] },
      { id: 'D', depends_on: ['C'] },
      { id: 'E', depends_on: ['A', 'Z', 'E'] },
    ]);
    expect([...left].sort()).toEqual(['B', 'C', 'D']);
  });
});
