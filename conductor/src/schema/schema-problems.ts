// Turn ajv's errors into located, human problems: the offending node, a plain
// sentence, and a did-you-mean where a typo is likely.
import type { ErrorObject } from 'ajv/dist/2020.js';
import { formatPath, type Problem } from '../problems.js';
import type { LoadedYaml, YamlPath } from '../yaml/load-yaml.js';
import { didYouMean } from '../util/did-you-mean.js';
import { docPath } from '../paths.js';

/** Names a node for messages, e.g. `task T02: depends_on`; supplied per file kind. */
export type Describe = (path: YamlPath) => string;

export function schemaProblems(errors: readonly ErrorObject[], loaded: LoadedYaml, describe: Describe = defaultDescribe): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const problem = toProblem(error, loaded, describe);
    if (!problem) continue;
    const key = `${problem.line}:${problem.col}:${problem.kind}:${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

function toProblem(error: ErrorObject, loaded: LoadedYaml, describe: Describe): Problem | undefined {
  const path = pointerToPath(error.instancePath);
  const where = describe(path);
  const at = (p: YamlPath, target: 'key' | 'value' = 'value') => ({ file: loaded.file, ...loaded.locate(p, target), path: formatPath(p) });
  const params = error.params as Record<string, unknown>;

  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys(((error.parentSchema as { properties?: object } | undefined)?.properties ?? {}) as object);
      const guess = didYouMean(key, allowed);
      return {
        ...at([...path, key], 'key'),
        kind: 'unknown-key',
        message: `unknown key "${key}"${where ? ` in ${where}` : ''}`,
        hint: guess ? `did you mean "${guess}"?` : allowed.length ? `allowed keys: ${allowed.join(', ')}` : undefined,
      };
    }
    case 'required': {
      const key = String(params.missingProperty);
      return { ...at(path), kind: 'missing-key', message: `${where || 'the document'} is missing the required key "${key}"` };
    }
    case 'type': {
      if (path.length === 0 && (error.data === null || error.data === undefined)) {
        return { ...at(path), kind: 'type', message: 'the file is empty', hint: `see ${docPath('BACKLOG_SCHEMA.md')} for the format` };
      }
      return { ...at(path), kind: 'type', message: `${where} must be ${article(String(params.type))}, got ${typeName(error.data)}`, hint: typeHint(String(params.type), error.data) };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const guess = typeof error.data === 'string' ? didYouMean(error.data, allowed) : undefined;
      return {
        ...at(path),
        kind: 'invalid-value',
        message: `${where} must be one of ${allowed.join(', ')}; got ${show(error.data)}`,
        hint: guess ? `did you mean "${guess}"?` : undefined,
      };
    }
    case 'const':
      return { ...at(path), kind: 'invalid-value', message: `${where} must be ${show(params.allowedValue)}; got ${show(error.data)}` };
    case 'pattern': {
      if (params.pattern === '\\S') return { ...at(path), kind: 'invalid-value', message: `${where || 'value'} must not be empty` };
      const isId = path[path.length - 1] === 'id' || path.includes('depends_on');
      if (isId) {
        return {
          ...at(path),
          kind: 'invalid-id',
          message: `${where} ${show(error.data)} is not a valid task id`,
          hint: 'ids start with a letter, then up to 31 letters, digits, "_" or "-"',
        };
      }
      const hint = PATTERN_HINTS[String(params.pattern)];
      return { ...at(path), kind: 'invalid-value', message: `${where} ${show(error.data)} must match ${String(params.pattern)}`, hint };
    }
    case 'minItems':
      return { ...at(path), kind: 'invalid-value', message: `${where} needs at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}` };
    case 'minLength':
      return { ...at(path), kind: 'invalid-value', message: `${where} must not be empty` };
    case 'uniqueItems':
      return { ...at([...path, Number(params.j)]), kind: 'invalid-value', message: `${where} lists the same entry twice (items ${Number(params.i) + 1} and ${Number(params.j) + 1})` };
    case 'minProperties':
      return { ...at(path), kind: 'invalid-value', message: `${where} must not be empty` };
    case 'propertyNames':
      return undefined; // reported again, more precisely, by the pattern error on the name itself
    default:
      return { ...at(path), kind: 'invalid-value', message: `${where || 'value'} ${error.message ?? 'is invalid'}` };
  }
}

const PATTERN_HINTS: Record<string, string> = {
  '^[a-z0-9][a-z0-9-]{0,63}$': 'use lowercase letters, digits and dashes, e.g. "rate-limiter"',
  '^[A-Za-z][A-Za-z0-9_-]{0,63}$': 'start with a letter; then letters, digits, "_" or "-"',
  '^(?![/\\\\])(?![A-Za-z]:)(?!(.*[/\\\\])?\\.\\.([/\\\\]|$))[^\\s].*$': 'name a folder inside the repository, relative to it, e.g. "docs" or "docs/conductor"',
};

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

export function defaultDescribe(path: YamlPath): string {
  return path.length ? `"${formatPath(path)}"` : '';
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `text ${show(value)}`;
  if (typeof value === 'number') return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`;
  if (typeof value === 'boolean') return `${value}`;
  return typeof value;
}

function article(type: string): string {
  const names: Record<string, string> = { array: 'a list', object: 'a mapping', string: 'text', integer: 'an integer', number: 'a number', boolean: 'true or false' };
  return type
    .split(',')
    .map((t) => names[t] ?? t)
    .join(' or ');
}

function typeHint(expected: string, data: unknown): string | undefined {
  if (expected === 'array' && typeof data === 'string') return `write a list, e.g. [${data}]`;
  if (expected === 'string' && (typeof data === 'number' || typeof data === 'boolean')) return `quote it: "${String(data)}"`;
  return undefined;
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
