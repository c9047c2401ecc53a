import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderBacklog, replaceTask, schemaReference, setTaskFields, withSchemaHeader } from '../src/backlog/backlog-document.js';
import { editBacklogFile } from '../src/backlog/backlog-file.js';
import { validateBacklogText } from '../src/backlog/validate-backlog.js';
import { normalizeTask } from '../src/backlog/types.js';
import { gitdir } from './helpers/dirs.js';

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
  it('start with a $schema line pointing at the shipped schema', () => {
    const repo = gitdir();
    const ref = schemaReference(join(repo, 'tasks', 'BACKLOG.yaml'));
    expect(ref).toMatch(/conductor\/schemas\/backlog\.schema\.json$/);
    const text = renderBacklog(
      { version: 1, feature: 'demo', tasks: [normalizeTask({ id: 'T01', title: 'x', description: 'y', acceptance: ['z'], scope: { files_hint: ['a.ts'] } })] },
      ref,
    );
    expect(text.split('\n')[0]).toBe(`# yaml-language-server: $schema=${ref}`);
    expect(validateBacklogText(text, 'f').problems).toEqual([]);
    expect(JSON.parse(readFileSync(ref.startsWith('/') ? ref : join(repo, 'tasks', ref), 'utf8')).title).toContain('backlog');
  });

  it('refresh an existing $schema line instead of adding another', () => {
    expect(withSchemaHeader('# yaml-language-server: $schema=old.json\nversion: 1\n', 'new.json')).toBe('# yaml-language-server: $schema=new.json\nversion: 1\n');
    expect(withSchemaHeader('version: 1\n', 'new.json')).toBe('# yaml-language-server: $schema=new.json\nversion: 1\n');
  });

  it('point inside the repository with a relative path when conductor lives there', () => {
    const inRepo = new URL('../../tasks/BACKLOG.yaml', import.meta.url).pathname;
    expect(schemaReference(inRepo)).toBe('../conductor/schemas/backlog.schema.json');
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
