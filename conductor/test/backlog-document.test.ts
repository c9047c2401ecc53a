import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderBacklog, replaceTask, resetFieldIndex, schemaReference, setTaskFields, withSchemaHeader, writeSchemaBeside } from '../src/backlog/backlog-document.js';
import { editBacklogFile } from '../src/backlog/backlog-file.js';
import { validateBacklogText } from '../src/backlog/validate-backlog.js';
import { normalizeTask } from '../src/backlog/types.js';
import { gitdir } from './helpers/dirs.js';
import { seededRandom } from './helpers/random.js';

const COMMENTED = `# yaml-language-server: $schema=../conductor/schemas/backlog.schema.json
# Backlog for the rate limiter — reviewed by Ana on Monday.
version: 1
feature: rate-limiter   # slug used for the branch
tasks:
  # The core first.
  - id: T01
    title:   "Token bucket module"     # quoted on purpose
    description: |
      Pure functions.

      Keep it small.
    depends_on: []
    acceptance:
      - rejects the N+1th request   # the key criterion
    scope: {files_hint: [src/bucket.ts],   forbidden: ["src/db/**"]}
    status: pending  # humans: set to blocked to hold
    attempts: 0

  # Then the middleware.
  - id: T02
    title: Middleware
    description: Wrap it.
    depends_on: [ T01 ]
    acceptance: [answers 429]
    scope:
      files_hint:
        - src/mw.ts
`;

function changedLines(before: string, after: string): [string, string][] {
  const a = before.split('\n');
  const b = after.split('\n');
  expect(b.length).toBe(a.length);
  return a.flatMap((line, i): [string, string][] => (line === b[i] ? [] : [[line, b[i]!]]));
}

describe('backlog edits keep the human\'s file', () => {
  it('changes only the status and attempts values, byte for byte elsewhere', () => {
    const after = setTaskFields(COMMENTED, 'T01', { status: 'running', attempts: 1 });
    expect(changedLines(COMMENTED, after)).toEqual([
      ['    status: pending  # humans: set to blocked to hold', '    status: running  # humans: set to blocked to hold'],
      ['    attempts: 0', '    attempts: 1'],
    ]);
  });

  it('adds a missing field to that task only, keeping every comment', () => {
    const after = setTaskFields(COMMENTED, 'T02', { status: 'done' });
    expect(after.startsWith(COMMENTED.slice(0, COMMENTED.indexOf('  - id: T02')))).toBe(true);
    expect(after).toContain('  # Then the middleware.\n  - id: T02\n');
    expect(after.endsWith('        - src/mw.ts\n    status: done\n')).toBe(true);
    expect(validateBacklogText(after, 'f').backlog?.tasks[1]?.status).toBe('done');
  });

  it('quotes a value that would otherwise change meaning', () => {
    const after = setTaskFields(COMMENTED, 'T01', { status: 'yes: no' });
    expect(after).toContain('    status: "yes: no"  # humans');
  });

  it('rewrites one task after a rebase and leaves the rest untouched', () => {
    const report = validateBacklogText(COMMENTED, 'f');
    const t01 = report.backlog!.tasks[0]!;
    const rewritten = normalizeTask({ ...t01, description: 'Pure functions, no classes.', context: { negative_evidence: ["Don't use a class: attempt 1 hit a circular import"] } });
    const after = replaceTask(COMMENTED, 'T01', rewritten);
    const tail = COMMENTED.slice(COMMENTED.indexOf('\n  # Then the middleware.'));
    expect(after.endsWith(tail)).toBe(true);
    expect(after.startsWith(COMMENTED.slice(0, COMMENTED.indexOf('  - id: T01')))).toBe(true);
    expect(after).toContain('    title: "Token bucket module" # quoted on purpose');
    const reread = validateBacklogText(after, 'f');
    expect(reread.problems).toEqual([]);
    expect(reread.backlog?.tasks[0]?.context.negative_evidence).toEqual(["Don't use a class: attempt 1 hit a circular import"]);
    expect(reread.backlog?.tasks[0]?.description).toBe('Pure functions, no classes.');
  });

  it('fails clearly for a task that is not there', () => {
    expect(() => setTaskFields(COMMENTED, 'T99', { status: 'done' })).toThrow('task T99 is not in the backlog');
  });
});

describe('backlogs conductor writes', () => {
  it('start with a $schema line pointing at a copy of the shipped schema beside them: the same on every machine', async () => {
    const repo = gitdir();
    const ref = schemaReference();
    expect(ref).toBe('./backlog.schema.json');
    const text = renderBacklog(
      { version: 1, feature: 'demo', tasks: [normalizeTask({ id: 'T01', title: 'x', description: 'y', acceptance: ['z'], scope: { files_hint: ['a.ts'] } })] },
      ref,
    );
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./backlog.schema.json');
    expect(validateBacklogText(text, 'f').problems).toEqual([]);
    const tasks = join(repo, 'tasks');
    await writeSchemaBeside(tasks);
    const copy = join(tasks, 'backlog.schema.json');
    expect(readFileSync(copy, 'utf8')).toBe(readFileSync(new URL('../schemas/backlog.schema.json', import.meta.url), 'utf8'));
    const written = statSync(copy).mtimeMs;
    await new Promise((done) => setTimeout(done, 20));
    await writeSchemaBeside(tasks); // unchanged: not rewritten, so no churn for git or editors
    expect(statSync(copy).mtimeMs).toBe(written);
  });

  it('refresh an existing $schema line instead of adding another', () => {
    expect(withSchemaHeader('# yaml-language-server: $schema=old.json\nversion: 1\n', 'new.json')).toBe('# yaml-language-server: $schema=new.json\nversion: 1\n');
    expect(withSchemaHeader('version: 1\n', 'new.json')).toBe('# yaml-language-server: $schema=new.json\nversion: 1\n');
  });
});

// A task's transitions reuse the positions of the last splice instead of parsing the whole file again.
// Whatever the file looks like, the result must be byte for byte what a full parse gives.
const STATES = ['pending', 'ready', 'running', 'verifying', 'review', 'merging', 'done', 'failed', 'conflict', 'interrupted', 'blocked', 'skipped'];

function randomBacklog(next: () => number, count: number): string {
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const comment = () => (next() < 0.3 ? `  ${pick(['# note', '#x', '# status: done', '#  attempts: 9 '])}` : '');
  let text = pick(['', '# yaml-language-server: $schema=x.json\n', '# top\n\n']) + 'version: 1\nfeature: demo\ntasks:\n';
  for (let i = 1; i <= count; i++) {
    const id = `T${String(i).padStart(2, '0')}`;
    const status = next() < 0.2 ? '' : pick([`status: ${pick(STATES)}`, `status: "${pick(STATES)}"`, `status: '${pick(STATES)}'`]);
    const attempts = next() < 0.2 ? '' : `attempts: ${Math.floor(next() * 4)}`;
    if (next() < 0.35) {
      const fields = [`id: ${id}`, `title: ${pick(['A', '"B: c"', "'status: ready'"])}`, 'acceptance: [ok]', status, attempts].filter(Boolean);
      text += `${next() < 0.3 ? '  # flow\n' : ''}  - { ${fields.join(pick([', ', ',  ', ','])) } }${comment()}\n`;
    } else {
      const lines = [`id: ${id}`, `title: ${pick(['Plain', '"Quoted: yes"', '"attempts: 3"'])}`, 'description: |\n      status: pending\n      more', status, attempts, 'acceptance:\n      - ok'].filter(Boolean);
      if (next() < 0.5) lines.reverse();
      text += `  - ${lines.map((line) => `${line}${line.includes('\n') ? '' : comment()}`).join('\n    ')}\n${next() < 0.3 ? '\n' : ''}`;
    }
  }
  return text;
}

describe('the splice index', () => {
  it('gives what a full parse gives, over 200 random backlogs and 20 edits each, human edits in between', () => {
    const next = seededRandom(7);
    let served = 0;
    for (let doc = 0; doc < 200; doc++) {
      const count = 1 + Math.floor(next() * 8);
      const start = randomBacklog(next, count);
      const steps = Array.from({ length: 20 }, () => ({
        id: `T${String(1 + Math.floor(next() * count)).padStart(2, '0')}`,
        fields: next() < 0.7 ? { status: STATES[Math.floor(next() * STATES.length)]!, attempts: Math.floor(next() * 12) } : { status: STATES[Math.floor(next() * STATES.length)]! },
        human: next() < 0.1,
      }));
      const humanEdit = (text: string) => text.replace('tasks:\n', 'tasks:\n  # a human was here\n');
      // The reference: every step parsed from scratch.
      const expected: string[] = [];
      let text = start;
      for (const step of steps) {
        if (step.human) text = humanEdit(text);
        resetFieldIndex();
        text = setTaskFields(text, step.id, step.fields);
        expected.push(text);
      }
      resetFieldIndex();
      text = start;
      steps.forEach((step, i) => {
        if (step.human) text = humanEdit(text);
        text = setTaskFields(text, step.id, step.fields);
        expect(text, `backlog ${doc}, step ${i}:\n${start}`).toBe(expected[i]);
      });
      served += resetFieldIndex();
    }
    // Most steps were served by the index: a fast path never taken would pass vacuously.
    expect(served).toBeGreaterThan(2000);
  });

  it('re-renders a task that lacks a field from its own text, not the whole file: one full parse for a backlog of 120 tasks', () => {
    let text = 'version: 1\nfeature: f\ntasks:\n';
    for (let i = 1; i <= 120; i++) {
      const id = `T${String(i).padStart(3, '0')}`;
      text += i % 3 === 0 ? `  - id: ${id}\n    title: Part ${i}\n    acceptance:\n      - ok\n\n` : `  - { id: ${id}, title: "Part: ${i}", acceptance: [ok], scope: { files_hint: [src/${id}.ts] } }\n`;
    }
    const ids = Array.from({ length: 120 }, (_, i) => `T${String(i + 1).padStart(3, '0')}`);
    const steps = ids.flatMap((id) => [{ id, fields: { status: 'running' } }, { id, fields: { status: 'done', attempts: 1 } }]);
    const expected: string[] = [];
    let reference = text;
    for (const step of steps) {
      resetFieldIndex();
      reference = setTaskFields(reference, step.id, step.fields);
      expected.push(reference);
    }
    resetFieldIndex();
    steps.forEach((step, i) => {
      text = setTaskFields(text, step.id, step.fields);
      expect(text, `step ${i}`).toBe(expected[i]);
    });
    // The first edit parses the file; the other 239 (120 of them adding a field) are served from the index.
    expect(resetFieldIndex()).toBe(239);
  });

  it('is not used for a text it did not produce', () => {
    resetFieldIndex();
    const once = setTaskFields(COMMENTED, 'T01', { status: 'running', attempts: 1 });
    const edited = once.replace('status: running', 'status: blocked');
    expect(setTaskFields(edited, 'T01', { attempts: 2 })).toContain('    status: blocked  # humans: set to blocked to hold\n    attempts: 2\n');
    expect(resetFieldIndex()).toBe(0);
  });
});

describe('editing the file', () => {
  it('writes atomically and keeps a concurrent human edit', async () => {
    const repo = gitdir({ 'tasks/BACKLOG.yaml': COMMENTED });
    const path = join(repo, 'tasks', 'BACKLOG.yaml');
    let calls = 0;
    await editBacklogFile(path, (text) => {
      calls++;
      // The first time, a human saves while conductor is editing.
      if (calls === 1) writeFileSync(path, text.replace('# The core first.', '# The core first (edited).'));
      return setTaskFields(text, 'T01', { status: 'done' });
    });
    const final = readFileSync(path, 'utf8');
    expect(calls).toBe(2);
    expect(final).toContain('# The core first (edited).');
    expect(final).toContain('    status: done  # humans');
  });
});
