// Broken input of every shape must come back as located problems, never an exception.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateBacklogText } from '../src/backlog/validate-backlog.js';
import { seededRandom } from './helpers/random.js';

const SEED_TEXT = readFileSync(new URL('../../examples/rate-limiter/BACKLOG.yaml', import.meta.url), 'utf8');
const NASTY = ['[', ']', '{', '}', ':', '- ', '&a ', '*a', '!!binary ', '"', "'", '|', '>', '#', '\t', '\n', '\0', '? ', '%YAML 1.1\n', '---\n', '<<: ', '\u2028', '\uFEFF', '$(rm -rf /)', '..', '/etc/'];

function mutate(text: string, next: () => number): string {
  let out = text;
  const edits = 1 + Math.floor(next() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * out.length);
    const kind = Math.floor(next() * 5);
    if (kind === 0) out = out.slice(0, at) + NASTY[Math.floor(next() * NASTY.length)] + out.slice(at);
    else if (kind === 1) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(next() * 40));
    else if (kind === 2) out = out.slice(0, at);
    else if (kind === 3) {
      const lines = out.split('\n');
      const i = Math.floor(next() * lines.length);
      const j = Math.floor(next() * lines.length);
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      out = lines.join('\n');
    } else out = out.slice(0, at) + String.fromCharCode(Math.floor(next() * 256)) + out.slice(at + 1);
  }
  return out;
}

describe('validate never throws', () => {
  it('on 1,500 random mutations of a real backlog, and locates every problem inside the file', () => {
    const next = seededRandom(20261121);
    let invalid = 0;
    for (let i = 0; i < 1500; i++) {
      const text = mutate(SEED_TEXT, next);
      const lineCount = text.split('\n').length;
      const report = validateBacklogText(text, 'f.yaml');
      if (!report.valid) invalid++;
      for (const problem of report.problems) {
        expect(problem.line, text).toBeGreaterThanOrEqual(1);
        expect(problem.line, text).toBeLessThanOrEqual(lineCount);
        expect(problem.col).toBeGreaterThanOrEqual(1);
        expect(problem.message.length).toBeGreaterThan(0);
      }
      expect(report.valid).toBe(report.problems.length === 0);
    }
    // The mutations really do break things; a fuzzer that only produced valid files would prove nothing.
    expect(invalid).toBeGreaterThan(900);
  });
});
