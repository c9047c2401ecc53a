// The failure block vitest and jest both print: the error's message (with
// Expected/Received), a code frame, then the stack or a `❯ file:line:col`.
import { isStackFrame } from './clean-output.js';
import type { Failure } from './types.js';

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
