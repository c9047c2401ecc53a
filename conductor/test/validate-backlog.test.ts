import { symlinkSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateBacklogText } from '../src/backlog/validate-backlog.js';
import { formatProblem } from '../src/problems.js';
import { backlog, task } from './helpers/backlogs.js';
import { testdir } from './helpers/dirs.js';
import { docPath } from '../src/paths.js';
import { fileURLToPath } from 'node:url';

const lines = (text: string, options = {}) => validateBacklogText(text, 'tasks/BACKLOG.yaml', options).problems.map(formatProblem);

describe('validate: a good backlog', () => {
  it('accepts a valid backlog and fills defaults', () => {
    const report = validateBacklogText(backlog(task('T01'), task('T02', '    depends_on: [T01]\n')), 'tasks/BACKLOG.yaml');
    expect(report.problems).toEqual([]);
    expect(report.valid).toBe(true);
    expect(report.backlog?.tasks.map((t) => [t.id, t.type, t.status, t.attempts, t.depends_on])).toEqual([
      ['T01', 'code', 'pending', 0, []],
      ['T02', 'code', 'pending', 0, ['T01']],
    ]);
  });
});

describe('validate: YAML problems', () => {
  it('reports syntax errors at their line', () => {
    expect(lines('tasks:\n  - id: T01\n   title: x\n')).toEqual(['tasks/BACKLOG.yaml:3:1 error syntax: Sequence item without - indicator']);
  });

  it('reports duplicate keys', () => {
    expect(lines('version: 1\nfeature: x\nversion: 1\ntasks: []\n')).toEqual(['tasks/BACKLOG.yaml:3:1 error duplicate-key: key "version" appears more than once in the same mapping']);
  });

  it('rejects an alias bomb without expanding it', () => {
    let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    let previous = 'a';
    for (const name of 'bcdefghi') {
      bomb += `${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]\n`;
      previous = name;
    }
    expect(lines(bomb)).toEqual(['tasks/BACKLOG.yaml:1:1 error alias-limit: more than 100 alias expansions (a YAML "alias bomb")']);
  });

  it('rejects very deep flow nesting before parsing it', () => {
    expect(lines(`tasks: ${'['.repeat(10_000)}${']'.repeat(10_000)}`)).toEqual(['tasks/BACKLOG.yaml:1:72 error too-deep: nesting deeper than 64 levels']);
  });

  it('rejects very deep block nesting without a stack overflow', () => {
    const deep = Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' 1\n';
    const problems = lines(deep);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^tasks\/BACKLOG\.yaml:\d+:\d+ error too-deep: nesting is too deep to read$/);
  });

  it('rejects text over the size limit', () => {
    expect(lines('x: 1\n', { limits: { maxBytes: 3, maxFlowDepth: 64, maxAliasCount: 100 } })).toEqual(['tasks/BACKLOG.yaml:1:1 error too-large: text is over the 3-byte limit']);
  });

  it('names an empty file', () => {
    // The page is named inside conductor's package: a bare docs/… would read as the user's own docs/.
    expect(lines('')).toEqual([`tasks/BACKLOG.yaml:1:1 error type: the file is empty — see ${docPath('BACKLOG_SCHEMA.md')} for the format`]);
    expect(docPath('BACKLOG_SCHEMA.md')).toBe(fileURLToPath(new URL('../../docs/BACKLOG_SCHEMA.md', import.meta.url)));
  });
});

describe('validate: schema problems, located at the node', () => {
  it('suggests the right key for a typo', () => {
    const text = backlog(task('T01'), task('T02', '    depends-on: [T01]\n'));
    expect(lines(text)).toEqual(['tasks/BACKLOG.yaml:14:5 error unknown-key: unknown key "depends-on" in task T02 — did you mean "depends_on"?']);
  });

  it('lists allowed keys when nothing is close', () => {
    expect(lines(backlog(task('T01', '    zzz: 1\n')))).toEqual([
      'tasks/BACKLOG.yaml:9:5 error unknown-key: unknown key "zzz" in task T01 — allowed keys: id, title, type, description, depends_on, acceptance, scope, context, status, attempts, agent',
    ]);
  });

  it('reports wrong types with a hint', () => {
    expect(lines(backlog(task('T01'), task('T02', '    depends_on: T01\n')))).toEqual([
      'tasks/BACKLOG.yaml:14:17 error type: task T02: depends_on must be a list, got text "T01" — write a list, e.g. [T01]',
    ]);
    expect(lines(backlog(task('T01', '    attempts: "2"\n')))).toEqual(['tasks/BACKLOG.yaml:9:15 error type: task T01: attempts must be an integer, got text "2"']);
  });

  it('reports missing keys at the task', () => {
    const text = 'version: 1\nfeature: demo\ntasks:\n  - id: T01\n    title: x\n    description: y\n    scope: { files_hint: [a.ts] }\n';
    expect(lines(text)).toEqual(['tasks/BACKLOG.yaml:4:5 error missing-key: task T01 is missing the required key "acceptance"']);
  });

  it('reports a bad enum value with did-you-mean', () => {
    expect(lines(backlog(task('T01', '    status: doing\n')))).toEqual([
      'tasks/BACKLOG.yaml:9:13 error invalid-value: task T01: status must be one of pending, ready, running, verifying, review, merging, done, failed, conflict, interrupted, blocked, skipped; got "doing" — did you mean "done"?',
    ]);
  });

  it('reports empty acceptance and a bad feature slug', () => {
    const text = backlog(task('T01')).replace('feature: demo', 'feature: Rate Limiter').replace('acceptance: [it works]', 'acceptance: []');
    expect(lines(text)).toEqual([
      'tasks/BACKLOG.yaml:2:10 error invalid-value: feature "Rate Limiter" must match ^[a-z0-9][a-z0-9-]{0,63}$ — use lowercase letters, digits and dashes, e.g. "rate-limiter"',
      'tasks/BACKLOG.yaml:7:17 error invalid-value: task T01: acceptance needs at least 1 item',
    ]);
  });

  it('rejects blank text', () => {
    expect(lines(backlog(task('T01').replace('title: Task T01', 'title: "   "')))).toEqual(['tasks/BACKLOG.yaml:5:12 error invalid-value: task T01: title must not be empty']);
  });

  it('rejects unknown top-level keys and a wrong version', () => {
    expect(lines('version: 2\nfeature: demo\ntasks: []\nowner: me\n')).toEqual([
      'tasks/BACKLOG.yaml:1:10 error invalid-value: version must be 1; got 2',
      'tasks/BACKLOG.yaml:4:1 error unknown-key: unknown key "owner" — allowed keys: version, feature, tasks',
    ]);
  });
});

describe('validate: ids and dependencies', () => {
  it('reports duplicate and invalid ids', () => {
    const text = backlog(task('T01'), task('T01'), task('9lives'), task('has space'));
    expect(lines(text)).toEqual([
      'tasks/BACKLOG.yaml:9:9 error duplicate-id: task id "T01" is already used by the task at line 4 — give each task its own id',
      'tasks/BACKLOG.yaml:14:9 error invalid-id: task 9lives: id "9lives" is not a valid task id — ids start with a letter, then up to 31 letters, digits, "_" or "-"',
      'tasks/BACKLOG.yaml:19:9 error invalid-id: task has space: id "has space" is not a valid task id — ids start with a letter, then up to 31 letters, digits, "_" or "-"',
    ]);
  });

  it('rejects an id longer than 32 characters', () => {
    const long = `T${'x'.repeat(32)}`;
    expect(lines(backlog(task(long)))[0]).toContain(`error invalid-id: task ${long}: id "${long}" is not a valid task id`);
    expect(lines(backlog(task(`T${'x'.repeat(31)}`)))).toEqual([]);
  });

  it('reports unknown and self dependencies', () => {
    const text = backlog(task('T01'), task('T02', '    depends_on: [T02, T09, Build]\n'));
    expect(lines(text)).toEqual([
      'tasks/BACKLOG.yaml:14:18 error self-dependency: task T02 depends on itself — remove "T02" from its depends_on',
      'tasks/BACKLOG.yaml:14:23 error unknown-dependency: task T02 depends on "T09", which is not a task in this backlog — did you mean "T01"?',
      'tasks/BACKLOG.yaml:14:28 error unknown-dependency: task T02 depends on "Build", which is not a task in this backlog',
    ]);
  });

  it('names each cycle as a path', () => {
    const text = backlog(
      task('T01'),
      task('T02', '    depends_on: [T04]\n'),
      task('T03', '    depends_on: [T02]\n'),
      task('T04', '    depends_on: [T01, T03]\n'),
      task('T05', '    depends_on: [T06]\n'),
      task('T06', '    depends_on: [T05]\n'),
    );
    expect(lines(text)).toEqual([
      'tasks/BACKLOG.yaml:14:18 error cycle: T02 → T04 → T03 → T02 — remove one of these dependencies to break the cycle',
      'tasks/BACKLOG.yaml:32:18 error cycle: T05 → T06 → T05 — remove one of these dependencies to break the cycle',
    ]);
  });

  it('finds a cycle through a long chain without overflowing the stack', () => {
    const n = 3000;
    const tasks = Array.from({ length: n }, (_, i) => task(`T${i}`, `    depends_on: [T${(i + 1) % n}]\n`));
    const problems = lines(backlog(...tasks));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/error cycle: T0 → T1 → T2 → .* → T2999 → T0 — /);
  });
});

describe('validate: scope paths', () => {
  it('rejects absolute paths, ".." and bad line ranges', () => {
    const text = backlog(task('T01').replace('[src/t01.ts]', '[/etc/passwd, "C:\\\\x.ts", ../up.ts, "src/a.ts:40-12", "src/ok.ts:3-9"], forbidden: ["../**", "src/db/**"]'));
    expect(lines(text)).toEqual([
      'tasks/BACKLOG.yaml:8:27 error unsafe-path: task T01: files_hint entry "/etc/passwd" is absolute; write it relative to the repository root',
      'tasks/BACKLOG.yaml:8:40 error unsafe-path: task T01: files_hint entry "C:\\\\x.ts" is absolute; write it relative to the repository root',
      'tasks/BACKLOG.yaml:8:52 error unsafe-path: task T01: files_hint entry "../up.ts" contains ".."; paths must stay inside the repository',
      'tasks/BACKLOG.yaml:8:62 error unsafe-path: task T01: files_hint entry "src/a.ts:40-12" has an empty line range 40-12',
      'tasks/BACKLOG.yaml:8:110 error unsafe-path: task T01: forbidden entry "../**" contains ".."; paths must stay inside the repository',
    ]);
  });

  it('rejects a path that leaves the repository through a symlink', () => {
    const repo = testdir({ 'src/real.ts': '' });
    const outside = testdir({ 'secret.ts': '' });
    mkdirSync(join(repo, 'vendor'));
    symlinkSync(outside, join(repo, 'vendor', 'ext'));
    symlinkSync(join(repo, 'src'), join(repo, 'inside'));
    const text = backlog(task('T01').replace('[src/t01.ts]', '[vendor/ext/secret.ts, inside/real.ts, src/new-file.ts], forbidden: ["vendor/ext/**"]'));
    expect(lines(text, { repoRoot: repo })).toEqual([
      'tasks/BACKLOG.yaml:8:27 error unsafe-path: task T01: files_hint entry "vendor/ext/secret.ts" leaves the repository through the symlink vendor/ext',
      'tasks/BACKLOG.yaml:8:95 error unsafe-path: task T01: forbidden entry "vendor/ext/**" leaves the repository through the symlink vendor/ext',
    ]);
  });
});

describe('validate: worker context budget', () => {
  it('names the task and its size when over budget', () => {
    const big = 'x'.repeat(3200);
    const report = validateBacklogText(backlog(task('T01'), task('T02').replace('Do T02.', big)), 'tasks/BACKLOG.yaml');
    expect(report.problems.map(formatProblem)).toEqual([
      "tasks/BACKLOG.yaml:9:9 error budget: task T02's worker context is 3,307 bytes, 235 over the 3,072-byte budget — shorten its description or context, or split the task",
    ]);
  });

  it('honours a configured budget', () => {
    expect(lines(backlog(task('T01')), { taskContextBytes: 50 })[0]).toMatch(/error budget: task T01's worker context is \d+ bytes, \d+ over the 50-byte budget/);
  });

  it('reports every problem at once, in file order', () => {
    const text = backlog(task('T01', '    status: doing\n'), task('T01'), task('T03', '    depends_on: [T07]\n'));
    const kinds = validateBacklogText(text, 'f').problems.map((p) => p.kind);
    expect(kinds).toEqual(['invalid-value', 'duplicate-id', 'unknown-dependency']);
  });
});

describe('number formatting', () => {
  it('groups thousands without ICU', async () => {
    const { formatCount } = await import('../src/util/format.js');
    expect([0, 999, 1000, 3072, 1234567, -4200].map(formatCount)).toEqual(['0', '999', '1,000', '3,072', '1,234,567', '-4,200']);
  });
});

describe('validate: the fields conductor writes back are plain values (#15 item 7)', () => {
  const three = (t1: string, t2: string) => `version: 1\nfeature: demo\ntasks:\n  - id: T01\n    title: First\n    description: Write it.\n    acceptance: [it exists]\n    scope: { files_hint: [src/a.ts] }\n${t1}  - id: T02\n    title: Second\n    description: Write it.\n    acceptance: [it exists]\n    scope: { files_hint: [src/b.ts] }\n${t2}`;

  it('an alias standing for done (status: *default) is a located error, not a task counted as done', () => {
    const report = validateBacklogText(three('    status: &default pending\n', '    status: *default\n    attempts: 0\n'), 'tasks/BACKLOG.yaml');
    expect(report.backlog).toBeUndefined();
    expect(report.problems.map(formatProblem)).toEqual([
      'tasks/BACKLOG.yaml:9:22 error not-plain: `status` is written as an anchored value; conductor reads and rewrites this field, so it must be a plain value — write it on one line, e.g. status: pending',
      'tasks/BACKLOG.yaml:15:13 error not-plain: `status` is written as an alias; conductor reads and rewrites this field, so it must be a plain value — write it on one line, e.g. status: pending',
    ]);
  });

  it('a folded status or attempts is a located error, so no write of conductor\'s can mangle it', () => {
    const report = validateBacklogText(three('    status: >-\n      ready\n', '    attempts: |\n      0\n'), 'tasks/BACKLOG.yaml');
    expect(report.problems.map(formatProblem)).toEqual([
      'tasks/BACKLOG.yaml:9:13 error not-plain: `status` is written as a block scalar (> or |); conductor reads and rewrites this field, so it must be a plain value — write it on one line, e.g. status: pending',
      'tasks/BACKLOG.yaml:16:15 error not-plain: `attempts` is written as a block scalar (> or |); conductor reads and rewrites this field, so it must be a plain value — write it on one line, e.g. attempts: 0',
      'tasks/BACKLOG.yaml:16:15 error type: task T02: attempts must be an integer, got text "0\\n"',
    ]);
  });
});
