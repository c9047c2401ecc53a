// Parse YAML that a human or an agent wrote, with hard limits, and keep enough
// of the document to point every later problem at a line and column.
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Document, LineCounter as LineCounterType, Node as YamlNode } from 'yaml';
import type { Problem } from '../problems.js';
import { messageOf } from '../errors.js';
import { parseFastBlockYaml } from './fast-block-yaml.js';
import { formatCount } from '../util/format.js';

type YamlModule = typeof import('yaml');
let yamlModule: YamlModule | undefined;

/** The full parser, loaded only when needed: valid plain backlogs never pay for it. */
function fullYaml(): YamlModule {
  return (yamlModule ??= createRequire(import.meta.url)('yaml') as YamlModule);
}

export interface YamlLimits {
  /** Files larger than this are rejected before they are read. */
  maxBytes: number;
  /** Deepest flow nesting (`[[[…` or `{{{…`) accepted. */
  maxFlowDepth: number;
  /** Alias expansions allowed when building the value (alias bombs). */
  maxAliasCount: number;
}

export const DEFAULT_YAML_LIMITS: YamlLimits = { maxBytes: 8 * 1024 * 1024, maxFlowDepth: 64, maxAliasCount: 100 };

export interface Location {
  line: number;
  col: number;
}

export type YamlPath = readonly (string | number)[];

export interface LoadedYaml {
  file: string;
  /** The plain value; `undefined` when the document could not be built. */
  value: unknown;
  /** Problems that stop any further checking (syntax, limits). */
  fatal: boolean;
  problems: Problem[];
  /** Where the node at `path` starts; `key` points at the mapping key instead of its value. */
  locate(path: YamlPath, target?: 'key' | 'value'): Location;
  /**
   * How the value at `path` is written, where it is not a plain one-line scalar: an alias (`*x`), an anchored
   * value (`&x …`), or a block scalar (`>-`, `|`). Undefined for a plain value or a missing path.
   */
  styleOf(path: YamlPath): 'alias' | 'anchored' | 'block scalar' | undefined;
}

const START: Location = { line: 1, col: 1 };

/** Read and parse a YAML file; never throws for bad content, only reports. */
export async function loadYamlFile(path: string, displayName: string, limits: YamlLimits = DEFAULT_YAML_LIMITS): Promise<LoadedYaml> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    return failed(displayName, 'io', describeFsError(error));
  }
  if (size > limits.maxBytes) {
    return failed(displayName, 'too-large', `file is ${formatCount(size)} bytes, over the ${formatCount(limits.maxBytes)}-byte limit`);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return failed(displayName, 'io', describeFsError(error));
  }
  return parseYaml(text, displayName, limits);
}

export function parseYaml(text: string, file: string, limits: YamlLimits = DEFAULT_YAML_LIMITS): LoadedYaml {
  if (Buffer.byteLength(text) > limits.maxBytes) {
    return failed(file, 'too-large', `text is over the ${formatCount(limits.maxBytes)}-byte limit`);
  }
  // The fast reader takes only plain block YAML (no aliases, no multi-line flow) and bails on anything else.
  const fast = parseFastBlockYaml(text);
  if (fast !== undefined) {
    // Problems in a well-formed file are rare: locate them with the full parser only when asked.
    let locator: LoadedYaml['locate'] | undefined;
    const locate: LoadedYaml['locate'] = (path, target) => (locator ??= fullParse(text, file, limits).locate)(path, target);
    // The fast reader takes plain scalars only: nothing it accepts is an alias, an anchor or a block scalar.
    return { file, value: fast, fatal: false, problems: [], locate, styleOf: () => undefined };
  }
  return fullParse(text, file, limits);
}

function fullParse(text: string, file: string, limits: YamlLimits): LoadedYaml {
  const deep = findExcessiveFlowDepth(text, limits.maxFlowDepth);
  if (deep !== undefined) {
    // Count lines only up to the offending offset: cheap, and no parse of a hostile file.
    const loc = offsetToLocation(text, deep);
    return failed(file, 'too-deep', `nesting deeper than ${limits.maxFlowDepth} levels`, loc);
  }
  const { LineCounter, parseDocument } = fullYaml();
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, keepSourceTokens: false });
  const locate = makeLocator(document, lineCounter);
  const styleOf = makeStyleReader(document);
  const problems: Problem[] = [];
  let fatal = false;
  let sawDepth = false;
  for (const error of document.errors) {
    const pos = lineCounter.linePos(error.pos[0]);
    if (error.code === 'DUPLICATE_KEY') {
      problems.push({ file, ...pos, kind: 'duplicate-key', message: duplicateKeyMessage(text, error.pos[0]) });
      continue;
    }
    fatal = true;
    if (error.code === 'RESOURCE_EXHAUSTION') {
      if (!sawDepth) problems.push({ file, ...pos, kind: 'too-deep', message: 'nesting is too deep to read' });
      sawDepth = true;
      continue;
    }
    problems.push({ file, ...pos, kind: 'syntax', message: firstLine(error.message) });
  }
  if (fatal) return { file, value: undefined, fatal, problems, locate, styleOf };

  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: limits.maxAliasCount });
  } catch (error) {
    const message = messageOf(error).includes('alias')
      ? `more than ${limits.maxAliasCount} alias expansions (a YAML "alias bomb")`
      : `cannot be read: ${messageOf(error)}`;
    problems.push({ file, ...START, kind: 'alias-limit', message });
    return { file, value: undefined, fatal: true, problems, locate, styleOf };
  }
  return { file, value, fatal: false, problems, locate, styleOf };
}

function failed(file: string, kind: Problem['kind'], message: string, at: Location = START): LoadedYaml {
  return { file, value: undefined, fatal: true, problems: [{ file, ...at, kind, message }], locate: () => START, styleOf: () => undefined };
}

function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '').trim();
}

function duplicateKeyMessage(text: string, offset: number): string {
  const match = /^["']?([^"':\n]+)["']?\s*:/.exec(text.slice(offset, offset + 80));
  return match ? `key "${match[1]}" appears more than once in the same mapping` : 'a key appears more than once in the same mapping';
}

/** A short reason for a failed read; the caller's location already names the file. */
export function describeFsError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, not a file';
  return `cannot be read: ${messageOf(error)}`;
}

/** Offset of the first flow bracket nested deeper than `max`, outside quotes and comments. */
export function findExcessiveFlowDepth(text: string, max: number): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (comment) {
      if (c === 10) comment = false;
      continue;
    }
    if (quote !== undefined) {
      if (c === 92 && quote === '"') i++; // backslash escape
      else if (text[i] === quote) quote = undefined;
      continue;
    }
    if (c === 91 || c === 123) {
      // [ { — only where a flow collection can start, so `arr[0]` in prose never counts.
      if (opensFlow(text, i) && ++depth > max) return i;
    } else if (c === 93 || c === 125) {
      if (depth > 0) depth--;
    } else if (c === 35 && (i === 0 || /\s/.test(text[i - 1] ?? ''))) {
      comment = true;
    } else if ((c === 34 || c === 39) && depth > 0) {
      quote = text[i];
    }
  }
  return undefined;
}

function opensFlow(text: string, index: number): boolean {
  for (let j = index - 1; j >= 0; j--) {
    const ch = text[j];
    if (ch === ' ' || ch === '\t') continue;
    return ch === '\n' || ch === '[' || ch === '{' || ch === ',' || ch === ':' || ch === '-' || ch === '?';
  }
  return true;
}

function offsetToLocation(text: string, offset: number): Location {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}

function makeLocator(document: Document, lineCounter: LineCounterType): LoadedYaml['locate'] {
  const { isMap, isPair, isSeq } = fullYaml();
  const at = (node: { range?: [number, number, number] | null } | null | undefined): Location | undefined =>
    node?.range ? lineCounter.linePos(node.range[0]) : undefined;

  return (path, target = 'value') => {
    let node: unknown = document.contents;
    let best: Location = at(node as YamlNode) ?? START;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
        if (!pair) return best;
        const keyLoc = at(pair.key as YamlNode);
        if (last && target === 'key') return keyLoc ?? best;
        best = at(pair.value as YamlNode) ?? keyLoc ?? best;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (item === undefined) return best;
        best = at(item as YamlNode) ?? best;
        node = item;
      } else {
        return best;
      }
    }
    return best;
  };
}

function makeStyleReader(document: Document): LoadedYaml['styleOf'] {
  const { isAlias, isMap, isPair, isScalar, isSeq, Scalar } = fullYaml();
  return (path) => {
    let node: unknown = document.contents;
    for (const segment of path) {
      if (isMap(node)) node = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment))?.value;
      else if (isSeq(node) && typeof segment === 'number') node = node.items[segment];
      else return undefined;
    }
    if (isAlias(node)) return 'alias';
    if (isScalar(node) && node.anchor) return 'anchored';
    if (isScalar(node) && (node.type === Scalar.BLOCK_FOLDED || node.type === Scalar.BLOCK_LITERAL)) return 'block scalar';
    return undefined;
  };
}

function keyText(key: unknown): string | undefined {
  if (fullYaml().isScalar(key)) return String(key.value);
  return undefined;
}
