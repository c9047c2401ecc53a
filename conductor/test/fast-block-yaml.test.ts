// The fast reader must agree with the full `yaml` parser on everything it
// accepts, and must accept the shapes conductor and people usually write.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDocument, stringify } from 'yaml';
import { parseFastBlockYaml } from '../src/yaml/fast-block-yaml.js';
import { backlog, task } from './helpers/backlogs.js';
import { seededRandom } from './helpers/random.js';

const EXAMPLE = readFileSync(new URL('../../examples/rate-limiter/BACKLOG.yaml', import.meta.url), 'utf8');

function full(text: string): { ok: boolean; value: unknown } {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) return { ok: false, value: undefined };
  return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) };
}

/** Either the fast reader declines, or it agrees exactly with the full parser. */
function agree(text: string): boolean {
  const fast = parseFastBlockYaml(text);
  if (fast === undefined) return false;
  const reference = full(text);
  expect(reference.ok, `fast reader accepted text the full parser rejects:\n${text}`).toBe(true);
  expect(fast, text).toEqual(reference.value);
  return true;
}

const WORDS = ['a', 'T01', 'src/a.ts:1-40', '.github/ci.yml', 'x y', 'it: works', 'C# code', 'a #b', "don't", 'say "hi"', '', ' lead', 'trail ', '42', '-1', '0.5', 'true', 'null', '~', 'yes', 'on', '2026-11-21', '0x1F', '1e3', '[x]', '{y}', 'a,b', '- item', '? q', '%p', '@at', '`t`', '\\back', 'ü ñ 中文', 'line\nbreak', 'two\n\nparas\n', 'tab\there', '.inf', '-foo'];

function randomValue(next: () => number, depth: number): unknown {
  const r = next();
  if (depth > 3 || r < 0.45) {
    const s = next();
    if (s < 0.1) return Math.floor(next() * 1000) - 100;
    if (s < 0.15) return next() < 0.5;
    if (s < 0.18) return null;
    return WORDS[Math.floor(next() * WORDS.length)];
  }
  if (r < 0.7) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
  const out: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 4); i > 0; i--) out[['id', 'title', 'depends_on', 'scope', 'files_hint', 'a-b', 'x_y', 'k'][Math.floor(next() * 8)]!] = randomValue(next, depth + 1);
  return out;
}

describe('fast block YAML reader', () => {
  it('reads the shapes conductor and people write', () => {
    expect(agree(EXAMPLE)).toBe(true);
    expect(agree(backlog(task('T01'), task('T02', '    depends_on: [T01]\n    status: done\n')))).toBe(true);
    expect(agree('a:\n- 1\n- two\nb: |\n  x\n\n  # not a comment\n    y\nc: |-\n  z\nd: |+\n  k\n\ne: {p: [1, "q, r"], s: \'it\'\'s\'}\n')).toBe(true);
  });

  it('declines what it does not handle, leaving it to the full parser', () => {
    for (const text of ['a: &x 1\nb: *x\n', 'a: !!str 1\n', 'a: >\n  folded\n', 'a: multi\n  line plain\n', '--- \na: 1\n', 'a: 1.5\n', 'a:\n\tb: 1\n', '"q": 1\n', 'a: 1\na: 2\n', '', '42\n', 'a: [1,\n  2]\n']) {
      expect(parseFastBlockYaml(text), text).toBeUndefined();
    }
  });

  it('agrees with the full parser on 3,000 random documents in many styles', () => {
    const next = seededRandom(42);
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const value = { root: randomValue(next, 0), list: [randomValue(next, 1)] };
      const style = i % 3;
      const text =
        style === 0
          ? stringify(value)
          : style === 1
            ? stringify(value, { flowCollectionPadding: false, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' })
            : stringify(value, { indent: 4, indentSeq: false, lineWidth: 0 });
      if (agree(text)) accepted++;
    }
    // Most documents are in the subset; a reader that declined everything would pass vacuously.
    expect(accepted).toBeGreaterThan(1500);
  });

  it('agrees with the full parser on 3,000 random mutations of a real backlog', () => {
    const next = seededRandom(7);
    const pieces = ['[', ']', '{', '}', ':', '- ', ' #', '"', "'", '|', '|-', '\n', '  ', 'x: y', ',', '.5', '~'];
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      let text = EXAMPLE;
      for (let e = 0; e < 2; e++) {
        const at = Math.floor(next() * text.length);
        text = next() < 0.5 ? text.slice(0, at) + pieces[Math.floor(next() * pieces.length)] + text.slice(at) : text.slice(0, at) + text.slice(at + 1 + Math.floor(next() * 8));
      }
      if (agree(text)) accepted++;
    }
    expect(accepted).toBeGreaterThan(300);
  });
});
