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

class Bail extends Error {}
const BAIL = new Bail();
const bail = (): never => {
  throw BAIL;
};

const SPACE = 32;
const HASH = 35;
const DASH = 45;
const COLON = 58;

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

/** Offset of the `:` ending a plain `key:` (then a space or the end) starting at `pos`, else -1. */
function keyEnd(src: string, pos: number, end: number): number {
  let c = src.charCodeAt(pos);
  if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95)) return -1;
  let i = pos + 1;
  for (; i < end; i++) {
    c = src.charCodeAt(i);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === DASH) continue;
    break;
  }
  if (c !== COLON || i >= end) return -1;
  return i + 1 === end || src.charCodeAt(i + 1) === SPACE ? i : -1;
}

const RESERVED_KEYS = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE', '__proto__']);

/** Scalars and one-line flow collections, read in place from the source. */
class FlowParser {
  private pos = 0;
  private end = 0;
  constructor(private readonly src: string) {}

  /** The value spanning [pos, end), with an optional trailing comment. */
  inline(pos: number, end: number): unknown {
    this.pos = pos;
    this.end = end;
    const value = this.value(false);
    this.spaces();
    if (this.pos < this.end && (this.src.charCodeAt(this.pos) !== HASH || this.src.charCodeAt(this.pos - 1) !== SPACE)) bail();
    return value;
  }

  private spaces(): void {
    while (this.pos < this.end && this.src.charCodeAt(this.pos) === SPACE) this.pos++;
  }

  private value(inFlow: boolean): unknown {
    this.spaces();
    const c = this.src.charCodeAt(this.pos);
    if (c === 91) return this.sequence(); // [
    if (c === 123) return this.mapping(); // {
    if (c === 34) return this.doubleQuoted(); // "
    if (c === 39) return this.singleQuoted(); // '
    return resolvePlain(this.plain(inFlow));
  }

  private char(): number {
    return this.pos < this.end ? this.src.charCodeAt(this.pos) : -1;
  }

  /** After an item: `,` (then not `,` or the closer) or the closer. Returns true when closed. */
  private separator(closer: number): boolean {
    this.spaces();
    const c = this.char();
    this.pos++;
    if (c === closer) return true;
    if (c !== 44) bail();
    this.spaces();
    const after = this.char();
    if (after === closer || after === 44) bail();
    return false;
  }

  private sequence(): unknown[] {
    this.pos++;
    const items: unknown[] = [];
    this.spaces();
    if (this.char() === 93) {
      this.pos++;
      return items;
    }
    do items.push(this.value(true));
    while (!this.separator(93));
    return items;
  }

  private mapping(): Record<string, unknown> {
    this.pos++;
    const map: Record<string, unknown> = {};
    this.spaces();
    if (this.char() === 125) {
      this.pos++;
      return map;
    }
    do {
      this.spaces();
      const colon = keyEnd(this.src, this.pos, this.end);
      if (colon === -1 || colon + 1 >= this.end) bail();
      const name = this.src.slice(this.pos, colon);
      if (RESERVED_KEYS.has(name) || Object.prototype.hasOwnProperty.call(map, name)) bail();
      this.pos = colon + 1;
      map[name] = this.value(true);
    } while (!this.separator(125));
    return map;
  }

  private plain(inFlow: boolean): string {
    const start = this.pos;
    const first = this.char();
    // Indicators that cannot start a plain scalar (or that we leave to the full parser).
    if (first === -1 || (first < 128 && NOT_PLAIN_START[first] === 1)) bail();
    let end = start;
    let lastNonSpace = start;
    while (end < this.end) {
      const c = this.src.charCodeAt(end);
      if (inFlow && (c === 44 || c === 91 || c === 93 || c === 123 || c === 125)) break;
      if (c === COLON) {
        // ':' then a space, the end or (in flow) an indicator makes a key, which a scalar cannot hold
        const after = end + 1 < this.end ? this.src.charCodeAt(end + 1) : -1;
        if (after === -1 || after === SPACE || (inFlow && (after === 44 || after === 93 || after === 125))) bail();
      }
      if (c === HASH && this.src.charCodeAt(end - 1) === SPACE) break; // ' #' starts a comment
      if (c !== SPACE) lastNonSpace = end + 1;
      end++;
    }
    this.pos = end;
    return this.src.slice(start, lastNonSpace);
  }

  private singleQuoted(): string {
    let out = '';
    let i = this.pos + 1;
    for (;;) {
      const close = this.src.indexOf("'", i);
      if (close === -1 || close >= this.end) bail();
      out += this.src.slice(i, close);
      if (close + 1 < this.end && this.src.charCodeAt(close + 1) === 39) {
        out += "'";
        i = close + 2;
        continue;
      }
      this.pos = close + 1;
      return out;
    }
  }

  private doubleQuoted(): string {
    let out = '';
    let i = this.pos + 1;
    for (;;) {
      if (i >= this.end) bail();
      const c = this.src.charCodeAt(i);
      if (c === 34) {
        this.pos = i + 1;
        return out;
      }
      if (c !== 92) {
        let next = i + 1;
        while (next < this.end) {
          const d = this.src.charCodeAt(next);
          if (d === 34 || d === 92) break;
          next++;
        }
        out += this.src.slice(i, next);
        i = next;
        continue;
      }
      const escape = this.src[i + 1];
      const simple = escape === undefined ? undefined : ESCAPES[escape];
      if (simple !== undefined) {
        out += simple;
        i += 2;
        continue;
      }
      const width = escape === 'x' ? 2 : escape === 'u' ? 4 : escape === 'U' ? 8 : 0;
      if (width === 0 || i + 2 + width > this.end) bail();
      const hex = this.src.slice(i + 2, i + 2 + width);
      if (!/^[0-9a-fA-F]+$/.test(hex)) bail();
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) bail();
      out += String.fromCodePoint(code);
      i += 2 + width;
    }
  }
}

const NOT_PLAIN_START = new Uint8Array(128);
for (const c of '-?:,[]{}#&*!|>\'"%@`') NOT_PLAIN_START[c.charCodeAt(0)] = 1;

const ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b',
  ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\u0085', _: '\u00a0', L: '\u2028', P: '\u2029',
};

const NULLS = new Set(['~', 'null', 'Null', 'NULL']);
const TRUES = new Set(['true', 'True', 'TRUE']);
const FALSES = new Set(['false', 'False', 'FALSE']);

/** YAML 1.2 core schema resolution, for the shapes we accept; anything number-like but unusual bails. */
function resolvePlain(text: string): unknown {
  const c = text.charCodeAt(0);
  const numberish = (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46; // 0-9 + - .
  if (!numberish) {
    if (c === 126 || c === 110 || c === 78 || c === 116 || c === 84 || c === 102 || c === 70) {
      // ~ n N t T f F: maybe null or a boolean
      if (NULLS.has(text)) return null;
      if (TRUES.has(text)) return true;
      if (FALSES.has(text)) return false;
    }
    return text;
  }
  if (c === 46 && !/^\.(?:[0-9]|inf$|Inf$|INF$|nan$|NaN$|NAN$)/.test(text)) return text; // `.github/…`
  if (/^-?(?:0|[1-9][0-9]{0,14})$/.test(text)) return Number(text);
  return bail();
}
