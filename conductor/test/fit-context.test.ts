import { describe, expect, it } from 'vitest';
import { fitTaskContext, tidy } from '../src/context/fit-context.js';
import { renderTaskContext } from '../src/context/task-context.js';
import { normalizeTask } from '../src/backlog/types.js';

const task = normalizeTask({
  id: 'T01',
  title: 'Token bucket',
  description: 'Pure functions.   \n\n\n\nNo classes.',
  acceptance: ['rejects the N+1th request'],
  scope: { files_hint: ['src/bucket.ts'] },
  context: { patterns: ['p'.repeat(300)], edge_cases: ['e'.repeat(300)], negative_evidence: ["Don't use a class"], constraints: ['no new dependencies'] },
});

describe('fitting a worker context', () => {
  it('keeps everything when it fits', () => {
    const fitted = fitTaskContext(task, 3072, renderTaskContext);
    expect(fitted).toMatchObject({ fits: true, dropped: [] });
    expect(fitted.text).toContain('Pure functions.\n\nNo classes.');
  });

  it('drops patterns first, then edge cases, never acceptance, constraints or negative evidence', () => {
    const full = fitTaskContext(task, 100_000, renderTaskContext).bytes;
    const one = fitTaskContext(task, full - 100, renderTaskContext);
    expect(one).toMatchObject({ fits: true, dropped: ['patterns'] });
    expect(one.text).toContain('## Edge cases');
    const two = fitTaskContext(task, full - 400, renderTaskContext);
    expect(two).toMatchObject({ fits: true, dropped: ['patterns', 'edge_cases'] });
    expect(two.text).toContain("Don't use a class");
    expect(two.text).toContain('no new dependencies');
    expect(two.text).toContain('rejects the N+1th request');
  });

  it('says by how much it is still over when dropping is not enough', () => {
    const fitted = fitTaskContext(task, 100, renderTaskContext);
    expect(fitted.fits).toBe(false);
    expect(fitted.bytes - fitted.budget).toBeGreaterThan(0);
    expect(fitted.dropped).toEqual(['patterns', 'edge_cases']);
  });

  it('tidies whitespace', () => {
    expect(tidy('a  \n\n\n\nb\t\n\n')).toBe('a\n\nb\n');
  });
});
