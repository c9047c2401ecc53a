import { describe, expect, it } from 'vitest';
import { checkScope } from '../src/review/scope-check.js';
import { parseVerdict } from '../src/review/verdict.js';
import { budgetDiff, splitDiff } from '../src/review/diff-budget.js';

describe('scope check', () => {
  const task = { scope: { files_hint: ['src/limiter/bucket.ts:10-40', 'test/limiter'], forbidden: ['src/db/**', '*.lock'] } };

  it('finds forbidden files, files outside the hints, and agent settings, hooks or CI', () => {
    const report = checkScope(task, ['src/limiter/bucket.ts', 'test/limiter/bucket.test.ts', 'src/db/schema.sql', 'package.lock', 'src/app.ts', '.github/workflows/ci.yml', '.claude/settings.json', '.husky/pre-commit']);
    expect(report).toEqual({
      forbidden: ['src/db/schema.sql', 'package.lock'],
      outsideHint: ['src/db/schema.sql', 'package.lock', 'src/app.ts', '.github/workflows/ci.yml', '.claude/settings.json', '.husky/pre-commit'],
      flagged: ['.github/workflows/ci.yml', '.claude/settings.json', '.husky/pre-commit'],
    });
  });

  it('passes a change that stays in scope', () => {
    expect(checkScope(task, ['src/limiter/bucket.ts'])).toEqual({ forbidden: [], outsideHint: [], flagged: [] });
  });
});

describe('reviewer verdicts', () => {
  const good = { verdict: 'changes', summary: 'close', required_changes: ['handle refill at 0'], negative_evidence: [] };

  it('reads a bare, fenced or embedded JSON verdict', () => {
    expect(parseVerdict(JSON.stringify(good))).toEqual({ ok: true, verdict: good, ignored: {} });
    expect(parseVerdict(`Here is my review:\n\`\`\`json\n${JSON.stringify(good, null, 2)}\n\`\`\``)).toEqual({ ok: true, verdict: good, ignored: {} });
    expect(parseVerdict(`Verdict follows. ${JSON.stringify(good)} Thanks!`)).toEqual({ ok: true, verdict: good, ignored: {} });
  });

  it('rejects replies that are not a valid verdict, saying why', () => {
    expect(parseVerdict('Looks good to me!')).toEqual({ ok: false, reason: 'the reply holds no JSON object' });
    expect(parseVerdict(JSON.stringify({ ...good, verdict: 'lgtm-ish' }))).toEqual({ ok: false, reason: '"verdict" must be one of approve, changes or rebase, got "lgtm-ish"' });
    expect(parseVerdict(JSON.stringify({ ...good, required_changes: [] }))).toEqual({ ok: false, reason: '"verdict" is "changes" but "required_changes" is empty: list at least one specific change, or approve' });
  });

  // Issue #13: these were rejected ("must have required property 'required_changes'", "must NOT have additional properties") and cost the worker an attempt.
  it('takes a verdict with missing lists, an extra key, or the verdict word in another form', () => {
    expect(parseVerdict('{"verdict": "approve", "summary": "looks good"}')).toEqual({ ok: true, verdict: { verdict: 'approve', summary: 'looks good', required_changes: [], negative_evidence: [] }, ignored: {} });
    expect(parseVerdict(JSON.stringify({ ...good, confidence: 'high' }))).toEqual({ ok: true, verdict: good, ignored: { confidence: 'high' } });
    expect(parseVerdict(JSON.stringify({ ...good, verdict: 'REQUEST_CHANGES' }))).toMatchObject({ ok: true, verdict: { verdict: 'changes' } });
  });
});

describe('review diff budget', () => {
  const file = (path: string, lines: number) => `diff --git a/${path} b/${path}\n--- a/${path}\n+++ b/${path}\n@@ -1 +1,${lines} @@\n${Array.from({ length: lines }, (_, i) => `+line ${i} of ${path}`).join('\n')}\n`;

  it('keeps a diff that fits', () => {
    const diff = file('a.ts', 3) + file('b.ts', 3);
    expect(splitDiff(diff).map((f) => f.path)).toEqual(['a.ts', 'b.ts']);
    expect(budgetDiff(diff, 24 * 1024)).toEqual({ text: diff, note: '', omitted: [], truncated: [] });
  });

  it('keeps small files whole, cuts the next, leaves out the rest, and says so', () => {
    const diff = file('big.ts', 2000) + file('small.ts', 5) + file('huge.ts', 4000);
    const result = budgetDiff(diff, 24 * 1024);
    expect(Buffer.byteLength(result.text)).toBeLessThanOrEqual(24 * 1024);
    expect(result.text).toContain(file('small.ts', 5));
    expect(result.truncated).toEqual(['big.ts']);
    expect(result.omitted).toEqual(['huge.ts']);
    expect(result.note).toBe('cut: big.ts; left out: huge.ts');
    expect(result.text).toContain("… (big.ts: the rest of this file's diff was cut)");
  });
});
