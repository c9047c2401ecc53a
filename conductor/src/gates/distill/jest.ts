// jest's default reporter: one block per failing test headed `● suite › test`,
// the matcher's message with Expected/Received, a code frame, then `at` frames.
import { blockFailure } from './error-block.js';
import type { Distiller, Failure } from './types.js';

const HEADER = /^\s*● (.+)$/;
const END = /^(?:Test Suites:|(?:FAIL|PASS) \S)/;

export const jest: Distiller = {
  format: 'jest',
  matches: (lines) => lines.some((l) => HEADER.test(l)) && lines.some((l) => /^(?:Tests:\s+\d|FAIL \S)/.test(l)),
  failures(lines) {
    const failures: Failure[] = [];
    for (let i = 0; i < lines.length; i++) {
      const header = HEADER.exec(lines[i]!);
      if (!header || /^Console$/.test(header[1]!)) continue;
      const body: string[] = [];
      for (; i + 1 < lines.length && !HEADER.test(lines[i + 1]!) && !END.test(lines[i + 1]!); i++) body.push(lines[i + 1]!);
      failures.push(blockFailure(header[1]!.trim(), body));
    }
    return failures;
  },
};
