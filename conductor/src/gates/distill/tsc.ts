// tsc: `file(3,5): error TS2322: …`, or with --pretty `file:3:5 - error TS2322: …`;
// a message's further lines are indented below it.
import type { Distiller, Failure } from './types.js';

const ERROR = /^(\S.*?)(?:\((\d+),(\d+)\): | ?:(\d+):(\d+) - )error (TS\d+): (.*)$/;

export const tsc: Distiller = {
  format: 'tsc',
  matches: (lines) => lines.some((l) => ERROR.test(l)),
  failures(lines) {
    const failures: Failure[] = [];
    for (let i = 0; i < lines.length; i++) {
      const m = ERROR.exec(lines[i]!);
      if (!m) continue;
      const message = [m[7]!];
      for (; i + 1 < lines.length && /^\s+\S/.test(lines[i + 1]!) && !/^\s*~+$/.test(lines[i + 1]!); i++) message.push(lines[i + 1]!.trim());
      failures.push({ check: m[6]!, location: `${m[1]}:${m[2] ?? m[4]}:${m[3] ?? m[5]}`, message });
    }
    return failures;
  },
};
