// go test: `--- FAIL: TestName (0.00s)` followed by the test's indented log
// lines (`file_test.go:12: got …, want …`, testify's Error/expected/actual),
// a panic's message, and build errors as `./file.go:3:9: undefined: x`.
import { isStackFrame } from './clean-output.js';
import type { Distiller, Failure } from './types.js';

const FAIL = /^(\s*)--- FAIL: (\S+) \([\d.]+s\)$/;

export const goTest: Distiller = {
  format: 'go test',
  matches: (lines) => lines.some((l) => FAIL.test(l) || /^FAIL\t\S+/.test(l)),
  failures(lines) {
    const failures: Failure[] = [];
    for (let i = 0; i < lines.length; i++) {
      const fail = FAIL.exec(lines[i]!);
      const build = /^(\.{0,2}\/?[\w./-]+\.go):(\d+):(\d+): (.+)$/.exec(lines[i]!);
      if (fail) {
        const indent = fail[1]!.length;
        const body: string[] = [];
        for (; i + 1 < lines.length && lines[i + 1]!.search(/\S/) > indent && !FAIL.test(lines[i + 1]!); i++) body.push(lines[i + 1]!.trim());
        if (body.length === 0 && (FAIL.exec(lines[i + 1] ?? '')?.[1]!.length ?? -1) > indent) continue; // a parent of failing subtests
        // A panic is printed after the FAIL line, unindented, with the goroutine's frames.
        const panic = /^panic: (.*?)(?: \[recovered\])?$/.exec(lines[i + 1] ?? '');
        const failure = goFailure(fail[2]!, panic ? [panic[0].replace(/ \[recovered\]$/, '')] : body);
        const where = panic ? panicFrame(lines.slice(i + 2)) : undefined;
        failures.push(where ? { ...failure, location: where } : failure);
      } else if (build) {
        failures.push({ check: 'build', location: `${build[1]!.replace(/^\.\//, '')}:${build[2]}:${build[3]}`, message: [build[4]!] });
      }
    }
    return failures;
  },
};

function goFailure(name: string, body: string[]): Failure {
  const place = body.map((l) => /^([\w.-]+\.go):(\d+): ?(.*)$/.exec(l)).find((m) => m !== null);
  const field = (key: string) => body.map((l) => new RegExp(`^${key}\\s*:\\s+(.*)$`).exec(l)?.[1]).find((v) => v !== undefined);
  const message = body
    .filter((l) => !isStackFrame(l) && !/^Error Trace:|^Test:/.test(l))
    .map((l, i) => (i === 0 && place ? place[3]! : l.replace(/^Error:\s+/, '')))
    .filter((l) => l.trim() !== '' && !/^(?:expected|actual)\s*:/.test(l));
  const expected = field('expected');
  const actual = field('actual');
  return {
    check: name,
    ...(place ? { location: `${place[1]}:${place[2]}` } : {}),
    message,
    ...(expected !== undefined ? { expected } : {}),
    ...(actual !== undefined ? { actual } : {}),
  };
}

/** Where a panic happened: the first frame below `panic(…)` that is not the runtime's or the testing package's. */
function panicFrame(lines: readonly string[]): string | undefined {
  const start = lines.findIndex((l) => /^panic\(/.test(l));
  for (let i = start + 2; start !== -1 && i + 1 < lines.length && !/^(?:exit status|FAIL|ok )/.test(lines[i]!); i += 2) {
    if (/^(?:runtime|testing)\./.test(lines[i]!)) continue;
    return /^\t(\S+\.go:\d+)/.exec(lines[i + 1]!)?.[1];
  }
  return undefined;
}
