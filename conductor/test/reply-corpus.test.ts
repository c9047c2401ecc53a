// Issue #13: replies as current models write them (fixtures/replies/<role>/), one file a shape, each
// with its expected outcome in fixtures/replies/expected.json: the verdict (and the keys set aside) or
// the exact problem; the backlog's task ids and what was put right, or its exact problems; the
// document's first and last line, or that there is none.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readBacklogReply } from '../src/backlog/backlog-reply.js';
import { formatProblem } from '../src/problems.js';
import { docPath } from '../src/paths.js';
import { documentFromReply } from '../src/phases/plan-phase.js';
import { parseVerdict } from '../src/review/verdict.js';
import { testdir } from './helpers/dirs.js';

const ROOT = fileURLToPath(new URL('./fixtures/replies/', import.meta.url));
const expected = JSON.parse(readFileSync(join(ROOT, 'expected.json'), 'utf8')) as Record<string, Record<string, unknown>>;
const files = ['reviewer', 'backlog', 'planner'].flatMap((role) => readdirSync(join(ROOT, role)).map((file) => `${role}/${file}`));
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

function outcome(file: string): Record<string, unknown> {
  const reply = read(file);
  if (file.startsWith('reviewer/')) {
    const parsed = parseVerdict(reply);
    if (!parsed.ok) return { error: parsed.reason };
    return { verdict: parsed.verdict, ...(Object.keys(parsed.ignored).length ? { ignored: parsed.ignored } : {}) };
  }
  if (file.startsWith('backlog/')) {
    const { report, repairs } = readBacklogReply(reply, 'BACKLOG.yaml', { repoRoot: testdir(), taskContextBytes: 3072 });
    return report.backlog ? { tasks: report.backlog.tasks.map((t) => t.id), repairs } : { problems: report.problems.map((p) => formatProblem(p).replace(docPath('BACKLOG_SCHEMA.md'), '<conductor>/docs/BACKLOG_SCHEMA.md')), repairs };
  }
  const document = documentFromReply(reply);
  const lines = document.trimEnd().split('\n');
  return document.trim() ? { first: lines[0], last: lines.at(-1), lines: lines.length } : { empty: true };
}

describe('the reply corpus', () => {
  it('holds at least 40 shapes, every one with an expected outcome and no outcome without its reply', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(Object.keys(expected).sort()).toEqual([...files].sort());
  });

  it.each(files)('%s', (file) => {
    expect(outcome(file)).toEqual(expected[file]);
  });
});
