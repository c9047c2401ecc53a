// What a failed gate teaches the next worker: the failing checks with their
// locations and expected/actual values, read from each runner's real output —
// run here for node:test, vitest, tsc, eslint (and cargo when installed);
// recorded from the real runners for jest 30, cargo and tsc --pretty; written
// to match pytest 8 and go 1.22, which cannot be installed here.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { GateConfig } from '../src/config/types.js';
import { distillOutput, renderFailures } from '../src/gates/distill/distill.js';
import { gateEvidence, runGates } from '../src/gates/run-gates.js';
import { lessonLine } from '../src/phases/rebase-task.js';
import { testdir } from './helpers/dirs.js';
import { CARGO, canRun, requireProgram } from './helpers/system-programs.js';

const node = process.execPath;
const require = createRequire(import.meta.url);
const bin = (pkg: string, path: string) => join(dirname(require.resolve(`${pkg}/package.json`)), path);
const recorded = (name: string) => readFileSync(fileURLToPath(new URL(`./fixtures/gate-output/${name}`, import.meta.url)), 'utf8');

const DURATION = `export function formatDuration(ms) {
  const minutes = Math.round(ms / 60000);
  return \`\${minutes}m\`;
}
export function parse(text) {
  if (text === '') throw new TypeError('empty duration');
  return Number(text);
}
`;

/** The same three failures in each JavaScript runner: a string, an object and a thrown error. */
const NODE_TEST = `import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parse } from '../src/duration.js';

test('formats whole minutes', () => {
  assert.equal(formatDuration(60000), '1 minute');
});

test('formats zero', () => {
  assert.equal(formatDuration(0), '0m');
});

describe('parse', () => {
  test('reads a plain number', () => {
    assert.deepStrictEqual({ value: parse('5') }, { value: 5, unit: 'ms' });
  });
  test('rejects an empty string', () => {
    assert.equal(parse(''), 0);
  });
});
`;

/** One gate run for real, as the implement phase runs it: what it failed with. */
async function failuresOf(files: Record<string, string>, run: string[]): Promise<string> {
  const dir = testdir(files);
  const gate: GateConfig = { name: 'check', run };
  const [result] = await runGates([gate], { cwd: dir, logDir: join(dir, '.logs'), defaultTimeoutMinutes: 2 });
  expect(result!.passed).toBe(false);
  return result!.failures!;
}

describe('a failed gate distilled, from the runner that ran', () => {
  it('node:test (TAP): each failing test with its assertion, where it failed, expected and actual; no stack frames', async () => {
    const text = await failuresOf({ 'package.json': '{"type":"module"}', 'src/duration.js': DURATION, 'test/duration.test.js': NODE_TEST }, [node, '--test', '--test-reporter=tap']);
    expect(text.split('\n').slice(0, 7)).toEqual([
      '✗ formats whole minutes (test/duration.test.js:6:10)',
      '  AssertionError: Expected values to be strictly equal:',
      '  + actual - expected',
      "  + '1m'",
      "  - '1 minute'",
      "  expected: '1 minute'",
      "  actual:   '1m'",
    ]);
    expect(text).toContain("✗ reads a plain number (test/duration.test.js:15:12)");
    expect(text).toContain("  expected: { value: 5, unit: 'ms' }\n  actual:   { value: 5 }");
    expect(text).toContain('✗ rejects an empty string (src/duration.js:6:26)\n  TypeError: empty duration');
    expect(text).not.toMatch(/node:internal|Test\.run|1\.\.3|parse \(|subtests failed/);
  });

  it('node:test (spec): the same failures', async () => {
    const text = await failuresOf({ 'package.json': '{"type":"module"}', 'src/duration.js': DURATION, 'test/duration.test.js': NODE_TEST }, [node, '--test', '--test-reporter=spec']);
    expect(text.split('\n').filter((l) => l.startsWith('✗'))).toEqual(['✗ formats whole minutes (test/duration.test.js:6:10)', '✗ reads a plain number (test/duration.test.js:15:12)', '✗ rejects an empty string (src/duration.js:6:26)']);
    expect(text).toContain("  + '1m'\n  - '1 minute'\n  expected: '1 minute'\n  actual:   '1m'");
    expect(text).not.toMatch(/ at |node:internal/);
  });

  it('node:test: a test file that cannot load gives its error, not "test failed"', async () => {
    const files = { 'package.json': '{"type":"module"}', 'test/a.test.js': "import { parse } from '../src/nope.js';\n", 'test/b.test.js': 'const x = ;\n' };
    const expected = ["✗ test/a.test.js (test/a.test.js:1:1)\n  Error: Cannot find module 'src/nope.js' imported from test/a.test.js", "✗ test/b.test.js (test/b.test.js:1)\n  SyntaxError: Unexpected token ';'\n  const x = ;\n            ^"].join('\n');
    expect(await failuresOf(files, [node, '--test', '--test-reporter=tap'])).toBe(expected);
    expect(await failuresOf(files, [node, '--test', '--test-reporter=spec'])).toBe(expected);
  });

  it('vitest: the test path, the matcher message, expected and received, without colours or code frames', async () => {
    const test = NODE_TEST.replace(/^import .*\n/gm, '').replace(/assert\.equal\((.*), (.*)\);/g, 'expect($1).toBe($2);').replace(/assert\.deepStrictEqual\((.*), (\{.*\})\);/, 'expect($1).toEqual($2);');
    const text = await failuresOf(
      { 'package.json': '{"type":"module"}', 'src/duration.js': DURATION, 'test/duration.test.js': `import { formatDuration, parse } from '../src/duration.js';\n${test}` },
      [node, bin('vitest', 'vitest.mjs'), 'run', '--globals', '--color'],
    );
    expect(text.split('\n').slice(0, 4)).toEqual(['✗ formats whole minutes (test/duration.test.js:4:33)', "  AssertionError: expected '1m' to be '1 minute' // Object.is equality", '  expected: "1 minute"', '  actual:   "1m"']);
    expect(text).toContain('✗ parse > reads a plain number (test/duration.test.js:13:35)');
    expect(text).toContain('✗ parse > rejects an empty string (test/duration.test.js:16:12)\n  TypeError: empty duration');
    expect(text).not.toContain('\u001b');
    expect(text).not.toMatch(/\d+\|/);
    const unloaded = await failuresOf({ 'package.json': '{"type":"module"}', 'test/a.test.js': "import { parse } from '../src/nope.js';\ntest('x', () => expect(parse).toBeDefined());\n" }, [node, bin('vitest', 'vitest.mjs'), 'run', '--globals']);
    expect(unloaded).toBe("✗ test/a.test.js (test/a.test.js:1:1)\n  Error: Cannot find module '../src/nope.js' imported from test/a.test.js");
  });

  it('tsc: each error with its code, file:line:col and message (and the same from --pretty, recorded)', async () => {
    const files = { 'tsconfig.json': '{ "compilerOptions": { "strict": true, "noEmit": true, "types": [] }, "include": ["src"] }', 'src/store.ts': "export function get(map: Map<string, number>, key: string): string {\n  const value = map.get(key);\n  return value;\n}\nexport const count: number = 'three';\n" };
    const expected = ["✗ TS2322 (src/store.ts:3:3)\n  Type 'number | undefined' is not assignable to type 'string'.\n  Type 'undefined' is not assignable to type 'string'.", "✗ TS2322 (src/store.ts:5:14)\n  Type 'string' is not assignable to type 'number'."].join('\n');
    expect(await failuresOf(files, [node, bin('typescript', 'bin/tsc'), '-p', '.'])).toBe(expected);
    expect(distillOutput(recorded('tsc-pretty.txt')).text).toBe(expected);
  });

  it('eslint: each error with its rule and place; warnings only when there is no error', async () => {
    const files = {
      'package.json': '{"type":"module"}',
      'eslint.config.js': "export default [{ files: ['**/*.js'], rules: { 'no-unused-vars': 'error', 'prefer-const': 'error', eqeqeq: 'warn' } }];\n",
      'src/store.js': 'export function get(map, key) {\n  let value = map.get(key);\n  const unused = 1;\n  if (value == null) return undefined;\n  return value;\n}\n',
    };
    expect(await failuresOf(files, [node, bin('eslint', 'bin/eslint.js'), 'src'])).toBe("✗ prefer-const (src/store.js:2:7)\n  'value' is never reassigned. Use 'const' instead\n✗ no-unused-vars (src/store.js:3:9)\n  'unused' is assigned a value but never used");
    const warned = await failuresOf({ ...files, 'src/store.js': 'export const same = (a, b) => a == b;\n' }, [node, bin('eslint', 'bin/eslint.js'), '--max-warnings', '0', 'src']);
    expect(warned).toBe("✗ eqeqeq (src/store.js:1:33)\n  Expected '===' and instead saw '=='");
  });

  const cargo = canRun(CARGO);
  it.runIf(cargo)('cargo test: each panicking test with its place and message, without the backtrace', async () => {
    const lib = 'pub fn minutes(ms: u64) -> String {\n    format!("{}m", ms / 60000)\n}\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn formats_whole_minutes() {\n        assert_eq!(minutes(60000), "1 minute");\n    }\n}\n';
    requireProgram(CARGO);
    const dir = testdir({ 'Cargo.toml': '[package]\nname = "durations"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n', 'src/lib.rs': lib });
    const [result] = await runGates([{ name: 'test', run: ['cargo', 'test', '--offline', '-q'] }], { cwd: dir, logDir: join(dir, '.logs'), defaultTimeoutMinutes: 2, parentEnv: { ...process.env, RUST_BACKTRACE: '1', CARGO_TARGET_DIR: join(dir, 'target') } });
    expect(result!.failures).toBe('✗ tests::formats_whole_minutes (src/lib.rs:11:9)\n  assertion `left == right` failed\n  left: "1m"\n  right: "1 minute"');
  }, 120_000);
});

describe('a failed gate distilled, from recorded output', () => {
  it('jest 30: each test by its describe path, with the matcher message, expected and received, and the project frame', () => {
    const { formats, text } = distillOutput(recorded('jest.txt'));
    expect(formats).toEqual(['jest']);
    expect(text.split('\n').slice(0, 4)).toEqual(['✗ formats whole minutes (test/duration.test.js:4:33)', '  expect(received).toBe(expected) // Object.is equality', '  expected: "1 minute"', '  actual:   "1m"']);
    expect(text).toContain('✗ parse › reads a plain number (test/duration.test.js:13:35)\n  expect(received).toEqual(expected) // deep equality');
    expect(text).toContain('✗ parse › rejects an empty string (src/duration.js:6:26)\n  TypeError: empty duration');
    expect(text).not.toContain('\u001b');
    expect(text).not.toMatch(/\d \||at Object/);
    expect(distillOutput(recorded('jest-load.txt')).text).toBe("✗ Test suite failed to run (test/load.test.js:1:19)\n  Cannot find module '../src/nope.js' from 'test/load.test.js'");
  });

  it('cargo test: panics with left and right, without the backtrace', () => {
    const { formats, text } = distillOutput(recorded('cargo-test.txt'), { cwd: '/tmp/gate-samples/cargo' });
    expect(formats).toEqual(['cargo test']);
    expect(text).toBe(
      [
        '✗ tests::panics_plainly (src/lib.rs:27:18)',
        '  index out of bounds: the len is 0 but the index is 3',
        '✗ tests::rejects_overflow (src/lib.rs:21:9)',
        '  too long: 307445734561825m',
        '✗ tests::formats_whole_minutes (src/lib.rs:11:9)',
        '  assertion `left == right` failed',
        '  left: "1m"',
        '  right: "1 minute"',
      ].join('\n'),
    );
  });

  it('pytest 8: the test id, the E lines, where it was raised, and both sides of a failed ==', () => {
    const { formats, text } = distillOutput(recorded('pytest.txt'), { cwd: '/home/dev/durations' });
    expect(formats).toEqual(['pytest']);
    expect(text.split('\n').slice(0, 6)).toEqual(["✗ tests/test_duration.py::test_formats_whole_minutes (tests/test_duration.py:5)", "  AssertionError: assert '1m' == '1 minute'", '    - 1 minute', '    + 1m', "  expected: '1 minute'", "  actual:   '1m'"]);
    expect(text).toContain('✗ tests/test_duration.py::TestParse::test_rejects_empty (durations/duration.py:8)\n  ValueError: empty duration');
    expect(text).not.toMatch(/def |self = |_ _ _/);
  });

  it('go test: failing tests and subtests with their log lines, testify fields, a panic, and build errors', () => {
    const { formats, text } = distillOutput(recorded('go-test.txt'), { cwd: '/home/dev/durations' });
    expect(formats).toEqual(['go test']);
    expect(text).toBe(
      [
        '✗ TestFormatWholeMinutes (duration_test.go:9)',
        '  FormatDuration(60000) = "1m", want "1 minute"',
        '✗ TestParse/empty (duration_test.go:21)',
        '  Parse("") error = empty duration, want nil',
        '✗ TestStats (stats_test.go:14)',
        '  Not equal:',
        '  expected: 3',
        '  actual:   2',
        '✗ TestPurge (store/store.go:31)',
        '  panic: runtime error: index out of range [3] with length 0',
      ].join('\n'),
    );
    expect(distillOutput(recorded('go-test-build.txt')).text).toBe('✗ build (duration.go:8:2)\n  undefined: strconv\n✗ build (duration_test.go:5:2)\n  "fmt" imported and not used');
  });
});

describe('distilling', () => {
  it('goes by the output, not the command: a script running tsc then the tests gets both', () => {
    const output = [recorded('go-test-build.txt'), "src/store.ts(5,14): error TS2322: Type 'string' is not assignable to type 'number'."].join('\n');
    expect(distillOutput(output).formats).toEqual(['go test', 'tsc']);
  });

  it('stays within its byte budget, whole failures first, counting the ones left out', () => {
    const failures = Array.from({ length: 40 }, (_, i) => ({ check: `test ${i}`, location: `test/t.test.js:${i}:1`, message: ['Expected values to be strictly equal:', `${i} !== ${i + 1}`] }));
    const text = renderFailures(failures, 512);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(512);
    expect(text.split('\n').at(-1)).toMatch(/^… and \d+ more failing$/);
    expect(text.startsWith('✗ test 0 (test/t.test.js:0:1)\n  Expected values to be strictly equal:\n  0 !== 1\n')).toBe(true);
    // One failure bigger than the whole budget is cut, not dropped.
    const huge = renderFailures([{ check: 'big', message: Array.from({ length: 8 }, () => 'é'.repeat(150)) }], 300);
    expect(Buffer.byteLength(huge)).toBeLessThanOrEqual(300);
    expect(huge.startsWith('✗ big\n')).toBe(true);
  });

  it('falls back to the last lines, uncoloured, without stack frames, when no runner is recognised', () => {
    const output = ['\x1b[31mBuild failed\x1b[39m', 'Error: cannot find module ./config', '    at Module._resolveFilename (node:internal/modules/cjs/loader:1145:15)', '    at Object.<anonymous> (/work/app/build.js:3:1)', 'exit 1'].join('\n');
    expect(distillOutput(output)).toEqual({ formats: [], failures: [], text: 'Build failed\nError: cannot find module ./config\nexit 1' });
  });

  it('gives the next worker the failing assertion, not the log tail', () => {
    const failures = "✗ formats whole minutes (test/duration.test.js:6:10)\n  + '1m'\n  - '1 minute'";
    expect(gateEvidence({ name: 'test', passed: false, durationMs: 1, failures }, 1)).toBe("attempt 1: gate test failed:\n  ✗ formats whole minutes (test/duration.test.js:6:10)\n    + '1m'\n    - '1 minute'");
    expect(gateEvidence({ name: 'test', passed: false, durationMs: 1, failures: 'T01.ts lacks attempt 2', note: 'killed by SIGKILL' }, 2)).toBe('attempt 2: gate test failed (killed by SIGKILL): T01.ts lacks attempt 2');
    expect(gateEvidence({ name: 'limit', passed: false, durationMs: 1, failures: 'too many files in src' }, 3, 'after merging into conductor/demo')).toBe('attempt 3: gate limit failed after merging into conductor/demo: too many files in src');
    // A rebased task keeps it in its negative evidence, which counts against the context budget: one line, at most 400 characters.
    expect(lessonLine(gateEvidence({ name: 'test', passed: false, durationMs: 1, failures }, 1))).toBe("attempt 1: gate test failed: ✗ formats whole minutes (test/duration.test.js:6:10) | + '1m' | - '1 minute'");
    expect(lessonLine(`attempt 1: gate test failed:\n${'  ✗ x\n'.repeat(200)}`)).toHaveLength(400);
  });
});
