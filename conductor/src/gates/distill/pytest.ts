// pytest: the FAILURES (and ERRORS) section, one block per test headed
// `____ name ____`, its `E ` lines and `file.py:12: AssertionError`; the
// "short test summary info" names each test by its node id.
import type { Distiller, Failure } from './types.js';

const SECTION = /^={3,} (FAILURES|ERRORS) ={3,}$/;
const HEADER = /^_{3,} (.+?) _{3,}$/;
const SUMMARY = /^(FAILED|ERROR) (\S+)(?: - (.*))?$/;

export const pytest: Distiller = {
  format: 'pytest',
  matches: (lines) => lines.some((l) => SECTION.test(l) || /^=+ short test summary info =+$/.test(l)),
  failures(lines) {
    const ids = lines.map((l) => SUMMARY.exec(l)).filter((m): m is RegExpExecArray => m !== null);
    const failures: Failure[] = [];
    let inSection = false;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (/^={3,} /.test(line)) inSection = SECTION.test(line);
      const header = inSection ? HEADER.exec(line) : null;
      if (!header) continue;
      const body: string[] = [];
      for (; i + 1 < lines.length && !HEADER.test(lines[i + 1]!) && !/^={3,} /.test(lines[i + 1]!); i++) body.push(lines[i + 1]!);
      failures.push(blockFailure(header[1]!, body, ids));
    }
    // Run with --tb=no or -q --tb=line: only the summary names them.
    if (failures.length === 0) for (const m of ids) failures.push({ check: m[2]!, message: m[3] ? [m[3]] : [m[1]!.toLowerCase()] });
    return failures;
  },
};

function blockFailure(name: string, body: string[], ids: RegExpExecArray[]): Failure {
  // `test_x` or `TestParse.test_x` in the header; `path::TestParse::test_x` in the summary.
  const id = ids.find((m) => m[2]!.replace(/\[.*\]$/, '').endsWith(`::${name.replace(/\./g, '::').replace(/\[.*\]$/, '')}`) || m[2]!.endsWith(name.replace(/^ERROR collecting /, '')))?.[2];
  const marked = body.filter((l) => /^E /.test(l) && l.trim() !== 'E').map((l) => l.slice(1));
  const indent = Math.min(...marked.map((l) => l.search(/\S/)));
  const message = marked.map((l) => l.slice(indent));
  const places = body.map((l) => /^(\S+\.py):(\d+): ?(\w*)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  const where = places.at(-1);
  const assertion = /^AssertionError: assert (.+?) == (.+)$/.exec(message[0] ?? '');
  return {
    check: id ?? name,
    ...(where ? { location: `${where[1]}:${where[2]}` } : {}),
    message: message.length ? message : body.filter((l) => l.trim() !== '').slice(-3),
    ...(assertion ? { actual: assertion[1]!, expected: assertion[2]! } : {}),
  };
}
