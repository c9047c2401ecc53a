import { describe, expect, it } from 'vitest';
import { calibrateContextModel, contextBytes, contextSizeBound, renderTaskContext, shippedContextModel, shippedTemplateSource } from '../src/context/task-context.js';
import { normalizeTask, TASK_STATES, TASK_TYPES, type Task } from '../src/backlog/types.js';
import { seededRandom } from './helpers/random.js';

function randomTask(next: () => number): Task {
  const text = () => ['x', 'héllo wörld', 'a'.repeat(Math.floor(next() * 400) + 1), '中文字符', '`code` <T> && "q"'][Math.floor(next() * 5)]!;
  const list = () => Array.from({ length: Math.floor(next() * 5) }, text);
  return normalizeTask({
    id: `T${Math.floor(next() * 1000)}`,
    title: text(),
    type: TASK_TYPES[Math.floor(next() * TASK_TYPES.length)],
    description: text(),
    depends_on: list().map((_, i) => `D${i}`),
    acceptance: [text(), ...list()],
    scope: { files_hint: [text(), ...list()], forbidden: list() },
    context: { patterns: list(), constraints: list(), edge_cases: list(), negative_evidence: list() },
    status: TASK_STATES[Math.floor(next() * TASK_STATES.length)],
    attempts: Math.floor(next() * 4),
    ...(next() < 0.5 ? { agent: { provider: 'claude', model: text() } } : {}),
  });
}

describe('worker context', () => {
  it('carries only the task: title, description, acceptance, files and hints', () => {
    const task = normalizeTask({
      id: 'T07',
      title: 'Token bucket',
      description: 'Pure functions.',
      acceptance: ['rejects the N+1th'],
      scope: { files_hint: ['src/bucket.ts:10-40'], forbidden: ['src/db/**'] },
      context: { negative_evidence: ["Don't use a class: circular import"] },
    });
    expect(renderTaskContext(task)).toBe(
      [
        '# Task T07: Token bucket',
        '',
        'Type: code',
        '',
        '## What to do',
        'Pure functions.',
        '',
        '## Acceptance criteria',
        '- rejects the N+1th',
        '',
        '## Files',
        '- src/bucket.ts:10-40',
        '',
        '## Do not touch',
        '- src/db/**',
        '',
        '## Already tried — do not repeat',
        "- Don't use a class: circular import",
        '',
      ].join('\n'),
    );
  });

  it('has a size model that the build keeps current', () => {
    expect(shippedContextModel()).toEqual(calibrateContextModel(shippedTemplateSource()));
  });

  it('never renders more bytes than the size model allows', () => {
    const model = calibrateContextModel(shippedTemplateSource());
    const next = seededRandom(99);
    for (let i = 0; i < 2000; i++) {
      const task = randomTask(next);
      expect(contextBytes(renderTaskContext(task))).toBeLessThanOrEqual(contextSizeBound(task, model));
    }
  });
});
