// cargo test: each failing test's captured output under `---- name stdout ----`
// with `panicked at file:line:col:` and the panic message (`left:`/`right:` for
// assert_eq!); compile errors as `error[E0308]: …` with ` --> file:line:col`.
import { isStackFrame } from './clean-output.js';
import type { Distiller, Failure } from './types.js';

const SECTION = /^---- (\S+) stdout ----$/;

export const cargoTest: Distiller = {
  format: 'cargo test',
  matches: (lines) => lines.some((l) => SECTION.test(l) || /^test result: FAILED\./.test(l) || /^error: could not compile `/.test(l)),
  failures(lines) {
    const failures: Failure[] = [];
    for (let i = 0; i < lines.length; i++) {
      const section = SECTION.exec(lines[i]!);
      const compile = /^error(\[E\d+\])?: (.+)$/.exec(lines[i]!);
      if (section) {
        const body: string[] = [];
        for (; i + 1 < lines.length && !SECTION.test(lines[i + 1]!) && lines[i + 1] !== 'failures:'; i++) body.push(lines[i + 1]!);
        failures.push(panicFailure(section[1]!, body));
      } else if (compile && / --> /.test(lines[i + 1] ?? '')) {
        const location = /-->\s+(\S+)/.exec(lines[i + 1]!)![1]!;
        failures.push({ check: compile[1] ? compile[1].slice(1, -1) : 'error', location, message: [compile[2]!] });
      }
    }
    return failures;
  },
};

function panicFailure(name: string, body: string[]): Failure {
  const at = body.findIndex((l) => /panicked at /.test(l));
  const place = at === -1 ? undefined : /panicked at (\S+?):?$/.exec(body[at]!)?.[1];
  const rest = body.slice(at + 1);
  const end = rest.findIndex((l) => /^(?:stack backtrace:|note: )/.test(l));
  const message = (end === -1 ? rest : rest.slice(0, end)).filter((l) => l.trim() !== '' && !isStackFrame(l));
  const left = message.map((l) => /^\s*left: (.*)$/.exec(l)?.[1]).find(Boolean);
  const right = message.map((l) => /^\s*right: (.*)$/.exec(l)?.[1]).find(Boolean);
  return {
    check: name,
    ...(place ? { location: place } : {}),
    // assert_eq!(left, right) has no fixed order; left and right stay as cargo printed them.
    message: message.filter((l) => !/^\s*(?:left|right): /.test(l)).map((l) => l.trim()).concat(left !== undefined ? [`left: ${left}`] : [], right !== undefined ? [`right: ${right}`] : []),
  };
}
