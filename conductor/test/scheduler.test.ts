import { describe, expect, it } from 'vitest';
import { decideStarts, remainingChain, type SchedulableTask } from '../src/scheduler/decide-starts.js';
import { makespanLowerBound, randomDag, simulateDynamic, simulateWaves } from '../src/scheduler/simulate.js';

const t = (id: string, depends_on: string[] = [], status: SchedulableTask['status'] = 'pending', files_hint: string[] = [`src/${id}.ts`], weight = 1): SchedulableTask => ({ id, depends_on, status, files_hint, weight });

describe('decideStarts', () => {
  it('starts every ready task up to the free slots', () => {
    expect(decideStarts([t('A'), t('B'), t('C'), t('D', ['A'])], 2)).toEqual({ start: ['A', 'B'], waiting: [{ id: 'C', reason: 'no free slot' }] });
  });

  it('starts a task as soon as its dependencies are done or skipped, not when a wave ends', () => {
    const tasks = [t('A', [], 'done'), t('B', [], 'running'), t('C', ['A']), t('D', ['B']), t('E', ['A', 'X']), t('X', [], 'skipped')];
    expect(decideStarts(tasks, 3).start).toEqual(['C', 'E']);
  });

  it('puts the task with the longest remaining chain first', () => {
    // B heads a chain B → C → D; A is alone.
    const tasks = [t('A'), t('B'), t('C', ['B']), t('D', ['C'])];
    expect(decideStarts(tasks, 1).start).toEqual(['B']);
    const weighted = [t('A', [], 'pending', ['a'], 10), t('B', [], 'pending', ['b'], 1), t('C', ['B'], 'pending', ['c'], 2)];
    expect(decideStarts(weighted, 1).start).toEqual(['A']);
  });

  it('never runs two tasks whose files overlap at once', () => {
    const tasks = [t('A', [], 'running', ['src/api/user.ts:10-40']), t('B', [], 'pending', ['src/api/user.ts']), t('C', [], 'pending', ['src/api']), t('D', [], 'pending', ['src/db.ts']), t('E', [], 'pending', ['src/db.ts:1-5'])];
    expect(decideStarts(tasks, 8)).toEqual({
      start: ['D'],
      waiting: [
        { id: 'B', reason: 'shares src/api/user.ts with a running task' },
        { id: 'C', reason: 'shares src/api with a running task' },
        { id: 'E', reason: 'shares src/db.ts with a running task' },
      ],
    });
  });

  it('counts tasks under review or merging as holding a slot', () => {
    expect(decideStarts([t('A', [], 'review'), t('B', [], 'merging'), t('C')], 2).start).toEqual([]);
  });

  it('restarts failed, interrupted and conflicted tasks; leaves blocked, done and skipped alone', () => {
    const tasks = [t('A', [], 'failed'), t('B', [], 'interrupted'), t('C', [], 'conflict'), t('D', [], 'blocked'), t('E', [], 'done'), t('F', [], 'skipped')];
    expect(decideStarts(tasks, 8).start).toEqual(['A', 'B', 'C']);
  });

  it('never starts a task whose dependency is blocked', () => {
    expect(decideStarts([t('A', [], 'blocked'), t('B', ['A'])], 4).start).toEqual([]);
  });
});

describe('remainingChain', () => {
  it('weighs the heaviest chain of unfinished dependents', () => {
    const chain = remainingChain([t('A', [], 'pending', ['a'], 2), t('B', ['A'], 'pending', ['b'], 3), t('C', ['A'], 'pending', ['c'], 1), t('D', ['B'], 'done')]);
    expect(Object.fromEntries(chain)).toEqual({ A: 5, B: 3, C: 1 });
  });

  it('handles a 10,000-task chain without recursion', () => {
    const tasks = Array.from({ length: 10_000 }, (_, i) => t(`T${i}`, i === 0 ? [] : [`T${i - 1}`]));
    expect(remainingChain(tasks).get('T0')).toBe(10_000);
  });
});

describe('simulated runs', () => {
  it('keep every dependency before its dependent and never overlap files', () => {
    const tasks = randomDag(60, 7);
    tasks[5]!.files_hint = ['src/shared.ts'];
    tasks[9]!.files_hint = ['src/shared.ts'];
    const { timeline } = simulateDynamic(tasks, 8);
    for (const task of tasks) {
      for (const dep of task.depends_on) expect(timeline.get(dep)!.end).toBeLessThanOrEqual(timeline.get(task.id)!.start);
    }
    const a = timeline.get('T5')!;
    const b = timeline.get('T9')!;
    expect(a.end <= b.start || b.end <= a.start).toBe(true);
  });

  it('stay close to the lower bound and beat wave barriers on skewed DAGs', () => {
    let dynamic = 0;
    let waves = 0;
    let bound = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const tasks = randomDag(100, seed);
      dynamic += simulateDynamic(tasks, 8).makespan;
      waves += simulateWaves(tasks, 8).makespan;
      bound += makespanLowerBound(tasks, 8);
    }
    expect(dynamic / bound).toBeLessThanOrEqual(1.1);
    expect(waves / dynamic).toBeGreaterThanOrEqual(1.25);
  });
});
