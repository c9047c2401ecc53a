// A fast reader for the plain block-style YAML that backlogs and configs are
// made of: mappings, sequences, plain and quoted scalars, one-line flow
// collections, and `|` block scalars. It returns `undefined` for anything
// else — anchors, tags, multi-line plain scalars, odd numbers, any doubt — and
// the caller falls back to the full `yaml` parser. Where it returns a value,
// that value equals what `yaml` (YAML 1.2 core schema) would produce; a
// differential test holds it to that. It exists because the full parser reads a
// 5,000-task backlog in about a second, and conductor re-reads the backlog
// before every scheduling decision. It works on offsets into the source, not
// on per-line strings, to keep garbage low.

import { Bail, bail, FlowParser, keyEnd, RESERVED_KEYS } from './fast-yaml-scalars.js';

const SPACE = 32;
const HASH = 35;
const DASH = 45;

export function parseFastBlockYaml(source: string): unknown {
  if (source.includes('\t') || source.includes('\r') || source.charCodeAt(0) === 0xfeff) return undefined;
  try {
    const reader = new Reader(source);
    const first = reader.skipInsignificant(0);
    if (first >= reader.count) return undefined; // empty documents: the full parser words that error
    if (reader.indent[first] !== 0) return undefined;
    const value = reader.block(first, 0);
    if (reader.skipInsignificant(reader.next) < reader.count) return undefined;
    return value;
  } catch (error) {
    if (error instanceof Bail || error instanceof RangeError) return undefined;
    throw error;
  }
}

class Reader {
  readonly count: number;
  /** Per line: offset of its first character, of its content, of its end (trailing spaces trimmed), and of its raw end. */
  readonly start: Int32Array;
  readonly indent: Int32Array;
  readonly end: Int32Array;
  readonly rawEnd: Int32Array;
  /** Line after the node just read. */
  next = 0;
  private readonly flow: FlowParser;
  private readonly endsWithNewline: boolean;

  constructor(private readonly src: string) {
    this.endsWithNewline = src.endsWith('\n');
    let lines = 0;
    for (let i = src.indexOf('\n'); i !== -1; i = src.indexOf('\n', i + 1)) lines++;
    if (!this.endsWithNewline && src.length > 0) lines++;
    this.count = lines;
    this.start = new Int32Array(lines);
    this.indent = new Int32Array(lines);
    this.end = new Int32Array(lines);
    this.rawEnd = new Int32Array(lines);
    let pos = 0;
    for (let line = 0; line < lines; line++) {
      let newline = src.indexOf('\n', pos);
      if (newline === -1) newline = src.length;
      let indent = 0;
      while (src.charCodeAt(pos + indent) === SPACE) indent++;
      let end = newline;
      while (end > pos + indent && src.charCodeAt(end - 1) === SPACE) end--;
      this.start[line] = pos;
      this.indent[line] = indent;
      this.end[line] = end;
      this.rawEnd[line] = newline;
      pos = newline + 1;
    }
    this.flow = new FlowParser(src);
  }

  private contentStart(line: number): number {
    return this.start[line]! + this.indent[line]!;
  }

  /** Index of the next line holding content (not blank, not a whole-line comment). */
  skipInsignificant(from: number): number {
    let line = from;
    while (line < this.count) {
      const cs = this.contentStart(line);
      if (cs < this.end[line]! && this.src.charCodeAt(cs) !== HASH) break;
      line++;
    }
    return line;
  }

  private isSequenceItem(line: number): boolean {
    const cs = this.contentStart(line);
    return this.src.charCodeAt(cs) === DASH && (cs + 1 === this.end[line] || this.src.charCodeAt(cs + 1) === SPACE);
  }

  /** A block node (mapping or sequence) whose lines start at `indent`; sets `next`. */
  block(line: number, indent: number): unknown {
    if (this.indent[line] !== indent) bail();
    if (this.isSequenceItem(line)) return this.sequence(line, indent);
    return this.mapping(line, indent, this.contentStart(line));
  }

  private sequence(first: number, indent: number): unknown[] {
    const items: unknown[] = [];
    let line = first;
    for (;;) {
      const end = this.end[line]!;
      let pos = this.contentStart(line) + 1;
      while (pos < end && this.src.charCodeAt(pos) === SPACE) pos++;
      const column = pos - this.start[line]!;
      if (pos === end || this.src.charCodeAt(pos) === HASH) {
        items.push(this.nested(line + 1, indent, true));
        line = this.next;
      } else if (this.src.charCodeAt(pos) === DASH && (pos + 1 === end || this.src.charCodeAt(pos + 1) === SPACE)) {
        bail(); // `- - x`
      } else if (keyEnd(this.src, pos, end) !== -1) {
        items.push(this.mapping(line, column, pos));
        line = this.next;
      } else {
        items.push(this.flow.inline(pos, end));
        line = this.expectNoContinuation(line + 1, indent);
      }
      line = this.skipInsignificant(line);
      if (line >= this.count) break;
      const following = this.indent[line]!;
      if (following > indent) bail();
      // Less indented, or a key at the same indent (`key:` then `- a` lines): the parent continues.
      if (following < indent || !this.isSequenceItem(line)) break;
    }
    this.next = line;
    return items;
  }

  /** A mapping at `indent`; its first entry starts at offset `pos` of line `first` (maybe after a `- `). */
  private mapping(first: number, indent: number, firstPos: number): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    let line = first;
    let pos = firstPos;
    for (;;) {
      const end = this.end[line]!;
      const colon = keyEnd(this.src, pos, end);
      if (colon === -1) bail();
      const name = this.src.slice(pos, colon);
      if (RESERVED_KEYS.has(name) || Object.prototype.hasOwnProperty.call(map, name)) bail();
      let rest = colon + 1;
      while (rest < end && this.src.charCodeAt(rest) === SPACE) rest++;
      if (rest === end || this.src.charCodeAt(rest) === HASH) {
        map[name] = this.nested(line + 1, indent, false);
        line = this.next;
      } else if (this.src.charCodeAt(rest) === 124) {
        // '|'
        map[name] = this.literal(line + 1, indent, rest, end);
        line = this.next;
      } else {
        map[name] = this.flow.inline(rest, end);
        line = this.expectNoContinuation(line + 1, indent);
      }
      line = this.skipInsignificant(line);
      if (line >= this.count) break;
      const following = this.indent[line]!;
      if (following < indent) break;
      if (following > indent || this.isSequenceItem(line)) bail();
      pos = this.contentStart(line);
    }
    this.next = line;
    return map;
  }

  /** The value of `key:` or `-` with nothing after it: a deeper block, or null. Sets `next`. */
  private nested(from: number, parentIndent: number, inSequence: boolean): unknown {
    const line = this.skipInsignificant(from);
    if (line < this.count) {
      const indent = this.indent[line]!;
      if (indent > parentIndent) return this.block(line, indent);
      // `key:` followed by `- item` at the same indent is a sequence value.
      if (!inSequence && indent === parentIndent && this.isSequenceItem(line)) return this.sequence(line, parentIndent);
    }
    this.next = from;
    return null;
  }

  /** After an inline scalar, a deeper line would continue it (multi-line plain): not ours. */
  private expectNoContinuation(from: number, indent: number): number {
    const line = this.skipInsignificant(from);
    if (line < this.count && this.indent[line]! > indent) bail();
    return from;
  }

  /** A `|`, `|-` or `|+` block scalar under a key at `keyIndent`; the header spans [pos, end). Sets `next`. */
  private literal(from: number, keyIndent: number, pos: number, end: number): string {
    let chomp = this.src.charCodeAt(pos + 1);
    let after = pos + 1;
    if (chomp === DASH || chomp === 43) after++;
    else chomp = 0;
    while (after < end && this.src.charCodeAt(after) === SPACE) after++;
    if (after < end && (this.src.charCodeAt(after) !== HASH || this.src.charCodeAt(after - 1) !== SPACE)) bail();

    let line = from;
    let blockIndent = -1;
    const parts: string[] = [];
    while (line < this.count) {
      const blank = this.contentStart(line) >= this.end[line]!;
      if (blank) {
        if (blockIndent === -1) bail(); // leading blank lines: leave the subtleties to the full parser
        if (this.rawEnd[line]! - this.start[line]! > blockIndent) bail(); // spaces beyond the indent
        parts.push('');
        line++;
        continue;
      }
      const indent = this.indent[line]!;
      if (blockIndent === -1) {
        if (indent <= keyIndent) break;
        blockIndent = indent;
      } else if (indent < blockIndent) {
        break;
      }
      if (this.rawEnd[line] !== this.end[line]) bail(); // trailing spaces: keep the full parser's exact rules
      parts.push(this.src.slice(this.start[line]! + blockIndent, this.end[line]));
      line++;
    }
    if (blockIndent === -1 || (line >= this.count && !this.endsWithNewline)) bail();
    let trailing = 0;
    while (parts.length > 0 && parts[parts.length - 1] === '') {
      parts.pop();
      trailing++;
    }
    let value = parts.join('\n');
    if (chomp === 0) value += '\n';
    else if (chomp === 43) value += '\n'.repeat(trailing + 1);
    this.next = line;
    return value;
  }
}

