import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedDocs } from '../src/docs/pages.js';
import { packageRoot } from '../src/paths.js';

describe('generated docs', () => {
  it.each(generatedDocs().map((doc) => [doc.path, doc.content]))('%s matches its schema (run `npm run docs` if this fails)', (path, content) => {
    expect(readFileSync(join(packageRoot(), path), 'utf8')).toBe(content);
  });

  it('documents every key of the backlog schema', () => {
    const page = readFileSync(join(packageRoot(), 'docs', 'BACKLOG_SCHEMA.md'), 'utf8');
    for (const key of ['tasks[].depends_on', 'tasks[].scope.files_hint', 'tasks[].context.negative_evidence', 'tasks[].agent.model']) expect(page).toContain(`\`${key}\``);
  });
});
