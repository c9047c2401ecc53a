// Scalars and one-line flow collections for the fast block-YAML reader
// (fast-block-yaml.ts): plain, single- and double-quoted scalars resolved by
// the YAML 1.2 core schema, `[…]` and `{…}` on one line. Anything unusual bails.

export class Bail extends Error {}
const BAIL = new Bail();
export const bail = (): never => {
  throw BAIL;
};

const SPACE = 32;
const HASH = 35;
const DASH = 45;
const COLON = 58;

/** Offset of the `:` ending a plain `key:` (then a space or the end) starting at `pos`, else -1. */
export function keyEnd(src: string, pos: number, end: number): number {
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

export const RESERVED_KEYS = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE', '__proto__']);

/** Scalars and one-line flow collections, read in place from the source. */
export class FlowParser {
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
