// vitest's default reporter: after "Failed Tests N", one block per failing
// test headed ` FAIL  file > suite > test`, the error, ` ❯ file:line:col`
// and a code frame, blocks separated by ⎯ rules.
import { blockFailure } from './error-block.js';
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
