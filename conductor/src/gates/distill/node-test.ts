// node:test, in both of its reporters: TAP (`not ok` with a YAML block; the
// default off a terminal before Node 23) and spec (`✖ name (1.2ms)`).
import { inspect } from 'node:util';
import { parse } from 'yaml';
import { isStackFrame, projectFrame } from './clean-output.js';
import type { Distiller, Failure } from './types.js';

const NOT_OK = /^(\s*)not ok \d+ - (.*?)(\s+# (?:TODO|SKIP)\b.*)?$/;
const SPEC_FAIL = /^(\s*)✖ (.+?) \(\d+(?:\.\d+)?m?s\)$/;

export const nodeTap: Distiller = {
  format: 'node:test',
  matches: (lines) => lines.some((l) => NOT_OK.test(l)) && lines.some((l) => /^\s*(?:TAP version \d+|1\.\.\d+|# (?:Subtest|fail \d+))/.test(l)),
  failures(lines) {
    const failures: Failure[] = [];
    /** Where the output since the last test's result starts: a file that fails to load prints its error there, as comments. */
    let since = 0;
    for (let i = 0; i < lines.length; i++) {
      const match = NOT_OK.exec(lines[i]!);
      if (!match || match[3]) {
        if (/^\s*(?:ok \d+|\.\.\.$)/.test(lines[i]!)) since = i + 1;
        continue;
      }
      const indent = match[1]!;
      const block: string[] = [];
      const before = lines.slice(since, i).filter((l) => l.startsWith('#')).map((l) => l.replace(/^# ?/, ''));
      if (lines[i + 1] === `${indent}  ---`) {
        for (i += 2; i < lines.length && lines[i] !== `${indent}  ...`; i++) block.push(lines[i]!.slice(indent.length + 2));
      }
      since = i + 1;
      const failure = tapFailure(match[2]!, block);
      if (failure) failures.push(withLoadError(failure, before));
    }
    return failures;
  },
};

/** One `not ok` with its YAML diagnostics; undefined for a suite that failed only because a test in it did. */
function tapFailure(name: string, block: string[]): Failure | undefined {
  let fields: Record<string, unknown> = {};
  try {
    const value: unknown = parse(block.join('\n'));
    if (value && typeof value === 'object') fields = value as Record<string, unknown>;
  } catch {
    fields = { error: block.filter((l) => !/^\w+:/.test(l) || l.startsWith('error:')).join('\n') };
  }
  if (fields.failureType === 'subtestsFailed') return undefined;
  const stack = typeof fields.stack === 'string' ? fields.stack.split('\n') : [];
  const error = typeof fields.error === 'string' ? fields.error : fields.error === undefined ? 'failed' : inspect(fields.error);
  const kind = typeof fields.name === 'string' ? `${fields.name}: ` : '';
  const location = projectFrame(stack) ?? (typeof fields.location === 'string' ? fields.location : undefined);
  // The YAML leaves out a side that is undefined; an assertion (it has an operator) compared it all the same.
  const compared = typeof fields.operator === 'string' && fields.operator !== 'fail';
  return {
    check: name.replace(/\\#/g, '#'),
    ...(location ? { location } : {}),
    message: `${kind}${error}`.split('\n'),
    ...('expected' in fields || compared ? { expected: show(fields.expected) } : {}),
    ...('actual' in fields || compared ? { actual: show(fields.actual) } : {}),
  };
}

function show(value: unknown): string {
  return inspect(value, { breakLength: Number.POSITIVE_INFINITY, depth: 4 });
}

export const nodeSpec: Distiller = {
  format: 'node:test',
  matches: (lines) => lines.some((l) => SPEC_FAIL.test(l)) && lines.some((l) => /^ℹ (?:tests|fail) \d+$/.test(l)),
  failures(lines) {
    // The summary at the end repeats each failing test with where it is; before it, each failure is where it ran.
    const summary = lines.findIndex((l) => l === '✖ failing tests:');
    const from = summary === -1 ? 0 : summary + 1;
    const failures: Failure[] = [];
    for (let i = from; i < lines.length; i++) {
      const match = SPEC_FAIL.exec(lines[i]!);
      if (!match) continue;
      // A file that fails to load printed its error just before its result, where it ran (not in the summary).
      const ran = summary === -1 ? i : lines.indexOf(lines[i]!);
      const start = lines.slice(0, ran).findLastIndex((l) => /^\s*(?:[✔✖﹣] |ℹ )/.test(l)) + 1;
      const before = lines.slice(start, ran);
      const indent = match[1]!.length;
      const body: string[] = [];
      for (; i + 1 < lines.length && (lines[i + 1]!.trim() === '' || lines[i + 1]!.search(/\S/) > indent); i++) body.push(lines[i + 1]!.slice(indent + 2));
      if (body.every((l) => l.trim() === '')) continue; // a suite: its tests are reported one by one
      const where = /^test at (\S+)$/.exec(lines[i - body.length - 1] ?? '')?.[1];
      failures.push(withLoadError(specFailure(match[2]!, body, where), before));
    }
    return failures;
  },
};

function specFailure(name: string, body: string[], where: string | undefined): Failure {
  const frames = body.findIndex((l) => isStackFrame(l.replace(/ \{$/, '')));
  const message = (frames === -1 ? body : body.slice(0, frames)).filter((l) => l.trim() !== '');
  const props = frames === -1 ? [] : body.slice(frames);
  // A value printed over several lines (a big object) is left to the message's diff.
  const prop = (key: string) => props.map((l) => new RegExp(`^\\s*${key}: (.*?),?$`).exec(l)?.[1]).find((v) => v !== undefined && !/^[[{]$/.test(v));
  const location = projectFrame(props.map((l) => l.replace(/ \{$/, ''))) ?? where;
  const expected = prop('expected');
  const actual = prop('actual');
  return {
    check: name,
    ...(location ? { location } : {}),
    message: message.map((l) => l.replace(/^(\w*Error) \[\w+\]:/, '$1:')),
    ...(expected !== undefined ? { expected } : {}),
    ...(actual !== undefined ? { actual } : {}),
  };
}

/**
 * A test file that failed before any test ran reports only 'test failed'; what it printed before its
 * result says why: `SyntaxError: …` under the file:line and source line it points at, or a module not found.
 */
function withLoadError(failure: Failure, before: readonly string[]): Failure {
  if (failure.message.join('\n').replace(/'/g, '') !== 'test failed') return failure;
  const at = before.findLastIndex((l) => /^\w*Error\b[^:]*: /.test(l));
  if (at === -1) return failure;
  const message = [before[at]!.replace(/^(\w*Error) \[\w+\]:/, '$1:')];
  const place = before.slice(0, at).findLastIndex((l) => /^(?!node:)\S+:\d+$/.test(l));
  if (place === -1 || place < at - 4) return { ...failure, message };
  // The source line and its caret, as node printed them.
  const source = before.slice(place + 1, place + 3).filter((l) => l.trim() !== '');
  return { ...failure, location: before[place]!, message: [...message, ...source] };
}
