// vitest's default reporter: after "Failed Tests N", one block per failing
// test headed ` FAIL  file > suite > test`, the error, ` ❯ file:line:col`
// and a code frame, blocks separated by ⎯ rules.
import { isStackFrame } from './clean-output.js';
import type { Distiller, Failure } from './types.js';

const HEADER = /^\s*FAIL\s+(\S.*)$/;
const RULE = /⎯{3,}/;

export const vitest: Distiller = {
  format: 'vitest',
  matches: (lines) => lines.some((l) => RULE.test(l)) && lines.some((l) => HEADER.test(l) || /^\s*Test Files\s/.test(l)),
  failures(lines) {
    const failures: Failure[] = [];
    for (let i = 0; i < lines.length; i++) {
      const header = HEADER.exec(lines[i]!);
      if (!header) continue;
      const body: string[] = [];
      for (; i + 1 < lines.length && !RULE.test(lines[i + 1]!) && !HEADER.test(lines[i + 1]!) && !/^\s*Test Files\s/.test(lines[i + 1]!); i++) body.push(lines[i + 1]!);
      // A file that failed to load is `FAIL  test/a.test.js [ test/a.test.js ]`.
      const [file, ...names] = header[1]!.replace(/ \[ .+ \]$/, '').split(' > ').map((part) => part.trim());
      failures.push(blockFailure(names.length ? names.join(' > ') : file!, body, names.length ? file : undefined));
    }
    return failures;
  },
};

/** A vitest or jest failure block: its message up to the first code frame or stack, its location, Expected/Received. */
export function blockFailure(check: string, body: string[], file?: string): Failure {
  const message: string[] = [];
  let location: string | undefined;
  let expected: string | undefined;
  let actual: string | undefined;
  let framed = false;
  for (const line of body) {
    const at = /^\s*(?:❯|at)\s+(?:.*\()?([^\s()]+:\d+:\d+)\)?$/.exec(line);
    if (at) {
      framed = true;
      if (!location && !/^(?:\/|node:)|node_modules\//.test(at[1]!)) location = at[1];
      continue;
    }
    if (/^\s*>?\s*\d*\s*\|/.test(line) || isStackFrame(line)) {
      framed = true;
      continue;
    }
    if (framed || line.trim() === '') continue;
    const value = /^\s*(Expected|Received): +(.*)$/.exec(line);
    if (value?.[1] === 'Expected' && expected === undefined) expected = value[2];
    else if (value?.[1] === 'Received' && actual === undefined) actual = value[2];
    else message.push(line);
  }
  const indent = Math.min(...message.map((l) => l.search(/\S/)));
  return {
    check,
    ...(location ?? file ? { location: location ?? file } : {}),
    message: message.map((l) => l.slice(indent)),
    ...(expected !== undefined ? { expected } : {}),
    ...(actual !== undefined ? { actual } : {}),
  };
}
