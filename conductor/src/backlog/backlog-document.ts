// Conductor's edits to BACKLOG.yaml. They go through the yaml Document API but
// touch only the bytes they change: a status update rewrites one scalar, a
// rewritten task re-renders only that task. The human's comments, key order and
// formatting everywhere else survive byte for byte.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Document, isMap, isScalar, isSeq, LineCounter, parseDocument, type YAMLMap } from 'yaml';
import { ConductorError } from '../errors.js';
import { schemaPath } from '../paths.js';
import { writeFileAtomically } from '../state/atomic-write.js';
import type { Backlog, Task } from './types.js';

const SCHEMA_LINE = /^# yaml-language-server: \$schema=.*$/;
const RENDER = { lineWidth: 0, flowCollectionPadding: false } as const;

/** The copy of the backlog schema conductor keeps beside every backlog it writes. */
export const SCHEMA_BESIDE = 'backlog.schema.json';

/**
 * The `$schema` reference editors should use for a backlog conductor writes: the copy beside it. A path to
 * wherever conductor is installed would differ on every teammate's machine and churn line 1 of a committed
 * file on every run; a URL would need the network. The copy changes only when the schema does.
 */
export function schemaReference(): string {
  return `./${SCHEMA_BESIDE}`;
}

/** Write (or refresh) the schema copy in `dir`, leaving the file untouched when it already holds this schema. */
export async function writeSchemaBeside(dir: string): Promise<void> {
  const shipped = await readFile(schemaPath('backlog'), 'utf8');
  const path = join(dir, SCHEMA_BESIDE);
  const present = await readFile(path, 'utf8').catch(() => undefined);
  if (present !== shipped) await writeFileAtomically(path, shipped);
}

/** Put (or refresh) the `# yaml-language-server: $schema=…` line at the top. */
export function withSchemaHeader(text: string, reference: string): string {
  const header = `# yaml-language-server: $schema=${reference}`;
  const newline = text.indexOf('\n');
  const first = newline === -1 ? text : text.slice(0, newline);
  if (SCHEMA_LINE.test(first)) return header + (newline === -1 ? '\n' : text.slice(newline));
  return `${header}\n${text}`;
}

/** A fresh BACKLOG.yaml text for a backlog conductor generated. */
export function renderBacklog(backlog: Backlog, reference: string): string {
  const ordered = { version: backlog.version, feature: backlog.feature, tasks: backlog.tasks.map(orderTaskKeys) };
  return withSchemaHeader(new Document(ordered).toString(RENDER), reference);
}

const KEY_ORDER: (keyof Task)[] = ['id', 'title', 'type', 'description', 'depends_on', 'acceptance', 'scope', 'context', 'status', 'attempts', 'agent'];

function orderTaskKeys(task: Partial<Task>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of KEY_ORDER) if (task[key] !== undefined) out[key] = task[key];
  return out;
}

/** Keys that record a task's life, not its definition: a rewrite of the definition leaves them as they are. */
const STATE_KEYS: readonly string[] = ['status', 'attempts'];

type Splice = { start: number; end: number; text: string };

/**
 * Set top-level fields of one task (status, attempts, …). Existing scalar
 * values are replaced in place; anything else re-renders only that task.
 */
export function setTaskFields(text: string, id: string, fields: Record<string, unknown>): string {
  const fast = fieldIndex.splice(text, id, fields) ?? fieldIndex.rerender(text, id, fields);
  if (fast !== undefined) return fast;
  const { doc, node } = findTask(text, id);
  const splices: Splice[] = [];
  let rerender = false;
  for (const [key, value] of Object.entries(fields)) {
    const current = node.get(key, true);
    if (isScalar(current) && current.range && isScalarValue(value)) {
      splices.push({ start: current.range[0], end: current.range[1], text: scalarText(value) });
    } else {
      rerender = true;
    }
  }
  if (rerender) {
    for (const [key, value] of Object.entries(fields)) node.set(key, value);
    const { out, splice, rendered, indent } = renderTaskIn(text, node);
    fieldIndex.remember(text, doc, [splice], out, { id, rendered, indent });
    return out;
  }
  const out = applySplices(text, splices);
  fieldIndex.remember(text, doc, splices, out);
  return out;
}

/**
 * Where every task's one-line scalar fields sit in the last text
 * setTaskFields produced by splicing. A task's six transitions each set two
 * scalars in a file conductor itself wrote last: when the text handed in is
 * exactly that text, the same splices need no parse of the whole document
 * (which was most of a transition's cost). Any other text (a human's edit,
 * another backlog) is parsed as before.
 */
class FieldIndex {
  private text: string | undefined;
  private fields = new Map<string, Map<string, [number, number]>>();
  /** Each task's span, for a task re-rendered alone (a field it lacks is set): one task parsed, not the file. */
  private spans = new Map<string, TaskSpan>();
  /** Splices done from the index, without a parse of the whole file. */
  hits = 0;

  /**
   * A task re-rendered from its own text alone, when the text is the one the index describes. Undefined (a whole
   * parse then) when the task's text holds a comment, an anchor, an alias or a tag: alone, those could parse
   * otherwise than within the file.
   */
  rerender(text: string, id: string, fields: Record<string, unknown>): string | undefined {
    if (text !== this.text) return undefined;
    const span = this.spans.get(id);
    if (!span) return undefined;
    const own = text.slice(span.start, span.stop);
    if (/#|(^|[\s[{,:-])[&*!]/.test(own)) return undefined;
    const alone = own
      .split('\n')
      .map((line, i) => (i > 0 && line.startsWith(span.indent) ? line.slice(span.indent.length) : line))
      .join('\n');
    const doc = parseDocument(alone);
    const node: unknown = doc.contents;
    if (doc.errors.length > 0 || !isMap(node) || node.get('id') !== id) return undefined;
    for (const [key, value] of Object.entries(fields)) node.set(key, value);
    const { out, splice, rendered } = renderAt(text, node, span);
    this.fields.delete(id);
    this.spans.delete(id);
    this.shift([splice], out);
    this.indexRendered(id, rendered, span.indent, splice);
    this.hits++;
    return out;
  }

  splice(text: string, id: string, fields: Record<string, unknown>): string | undefined {
    if (text !== this.text) return undefined;
    const task = this.fields.get(id);
    if (!task) return undefined;
    const splices: Splice[] = [];
    for (const [key, value] of Object.entries(fields)) {
      const range = task.get(key);
      if (!range || !isScalarValue(value)) return undefined;
      splices.push({ start: range[0], end: range[1], text: scalarText(value) });
    }
    const out = applySplices(text, splices);
    this.shift(splices, out);
    this.hits++;
    return out;
  }

  /**
   * Index `before` (parsed as `doc`), then move the index to `after`, `before` with `splices` applied.
   * A task re-rendered by the splice is indexed from its own rendering (`rendered`, placed at the
   * splice's start with `indent` before every further line): one task parsed, not the file.
   */
  remember(before: string, doc: Document, splices: readonly Splice[], after: string, rerendered?: { id: string; rendered: string; indent: string }): void {
    this.fields = new Map();
    this.spans = new Map();
    const tasks = doc.get('tasks', true);
    for (const item of isSeq(tasks) ? tasks.items : []) {
      if (!isMap(item)) continue;
      const id = item.get('id');
      if (typeof id !== 'string' || this.fields.has(id)) continue;
      this.fields.set(id, scalarRanges(item, before, (offset) => offset));
      if (item.range) this.spans.set(id, spanOf(before, item));
    }
    if (rerendered) {
      this.fields.delete(rerendered.id);
      this.spans.delete(rerendered.id);
    }
    this.shift(splices, after);
    if (rerendered) this.indexRendered(rerendered.id, rerendered.rendered, rerendered.indent, splices[0]!);
  }

  /** Index a task just re-rendered by `splice` from its own rendering, placed at the splice's start. */
  private indexRendered(id: string, rendered: string, indent: string, splice: Splice): void {
    const own: unknown = parseDocument(rendered).contents;
    if (!isMap(own) || own.get('id') !== id) return;
    this.fields.set(id, scalarRanges(own as YAMLMap, rendered, placedAt(splice.start, rendered, indent)));
    this.spans.set(id, { start: splice.start, stop: splice.start + splice.text.length, indent });
  }

  /** Move every range past `splices`, now that the text is `after`. Splices are scalar values' ranges: they never straddle one. */
  private shift(splices: readonly Splice[], after: string): void {
    for (const span of this.spans.values()) {
      // A splice inside a span (a field's value) moves its end; one before it moves both. Splices are in the old text's offsets.
      let before = 0;
      let inside = 0;
      for (const s of splices) {
        const delta = s.text.length - (s.end - s.start);
        if (s.end <= span.start) before += delta;
        else if (s.start >= span.start && s.end <= span.stop) inside += delta;
      }
      span.start += before;
      span.stop += before + inside;
    }
    for (const task of this.fields.values()) {
      for (const [key, [start, end]] of task) {
        let delta = 0;
        let replaced: Splice | undefined;
        for (const s of splices) {
          if (s.start === start && s.end === end) replaced = s;
          else if (s.end <= start) delta += s.text.length - (s.end - s.start);
        }
        if (replaced?.text.includes('\n')) task.delete(key);
        else task.set(key, [start + delta, replaced ? start + delta + replaced.text.length : end + delta]);
      }
    }
    this.text = after;
  }

  reset(): number {
    const hits = this.hits;
    this.text = undefined;
    this.fields = new Map();
    this.spans = new Map();
    this.hits = 0;
    return hits;
  }
}

const fieldIndex = new FieldIndex();

/** Where each top-level one-line scalar of a task map sits, moved by `place` from `source` offsets to the text's. */
function scalarRanges(task: YAMLMap, source: string, place: (offset: number) => number): Map<string, [number, number]> {
  const ranges = new Map<string, [number, number]>();
  for (const { key, value } of task.items) {
    if (!isScalar(key) || typeof key.value !== 'string' || !isScalar(value) || !value.range) continue;
    const [start, end] = value.range;
    if (end > start && !source.slice(start, end).includes('\n')) ranges.set(key.value, [place(start), place(end)]);
  }
  return ranges;
}

/** Offsets in `rendered` moved to where it sits in the text: at `at`, each non-empty line after the first indented. */
function placedAt(at: number, rendered: string, indent: string): (offset: number) => number {
  return (offset) => {
    let shift = 0;
    for (let line = rendered.indexOf('\n'); line !== -1 && line < offset; line = rendered.indexOf('\n', line + 1)) {
      if (line + 1 < rendered.length && rendered[line + 1] !== '\n') shift += indent.length;
    }
    return at + offset + shift;
  };
}

/** Forget the index (tests compare the indexed path with a full parse); returns how many splices it served. */
export function resetFieldIndex(): number {
  return fieldIndex.reset();
}

/**
 * Replace a task's definition (after a rebase), keeping the keys' order where
 * they already exist. Its status and attempts stay as the file has them.
 */
export function replaceTask(text: string, id: string, task: Partial<Task>): string {
  const { doc, node } = findTask(text, id);
  const next = orderTaskKeys(task);
  for (const key of STATE_KEYS) delete next[key];
  for (const pair of [...node.items]) {
    const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
    if (key !== undefined && !(key in next) && !STATE_KEYS.includes(key)) node.delete(key);
  }
  for (const [key, value] of Object.entries(next)) {
    const current = node.get(key, true);
    if (isScalar(current) && isScalarValue(value)) current.value = value;
    else node.set(key, doc.createNode(value));
  }
  return renderTaskIn(text, node).out;
}

function findTask(text: string, id: string): { doc: Document; node: YAMLMap } {
  const doc = parseDocument(text, { keepSourceTokens: false, lineCounter: new LineCounter() });
  if (doc.errors.length > 0) throw new ConductorError('BACKLOG_INVALID', `cannot edit the backlog: ${doc.errors[0]!.message.split('\n')[0]}`, { hint: 'run conductor validate to see every problem' });
  const tasks = doc.get('tasks', true);
  if (isSeq(tasks)) {
    for (const item of tasks.items) {
      if (isMap(item) && item.get('id') === id) return { doc, node: item };
    }
  }
  throw new ConductorError('BACKLOG_INVALID', `task ${id} is not in the backlog`, { hint: 'it may have been removed by hand' });
}

/** Where a task's text sits: from its first key to the end of its last line (the newline included when one ends it), and its indentation. */
interface TaskSpan {
  start: number;
  stop: number;
  indent: string;
}

function spanOf(text: string, node: YAMLMap): TaskSpan {
  if (!node.range) throw new ConductorError('BACKLOG_INVALID', 'cannot locate the task in the backlog text');
  const [start, , end] = node.range;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  // The node's range runs on over the blank lines and the indentation of the next item when a comment
  // ends the task: stop after the first of those newlines, so the next item keeps its indentation.
  const tail = /\n\s*$/.exec(text.slice(start, end));
  return { start, stop: tail ? start + tail.index + 1 : end, indent: ' '.repeat(start - lineStart) };
}

/** The task `node` rendered again in place of its old text (`span`), at its indentation. */
function renderAt(text: string, node: YAMLMap, span: TaskSpan): { out: string; splice: Splice; rendered: string } {
  // A comment above `- id:` belongs to the node but sits before the spliced range: keep it there.
  node.commentBefore = undefined;
  node.spaceBefore = false;
  const rendered = new Document(node).toString(RENDER).replace(/\n$/, '');
  const body = rendered
    .split('\n')
    .map((line, i) => (i === 0 || line === '' ? line : span.indent + line))
    .join('\n');
  const splice = { start: span.start, end: span.stop, text: body + (text[span.stop - 1] === '\n' && span.stop > span.start ? '\n' : '') };
  return { out: applySplices(text, [splice]), splice, rendered };
}

function renderTaskIn(text: string, node: YAMLMap): { out: string; splice: Splice; rendered: string; indent: string } {
  const span = spanOf(text, node);
  return { ...renderAt(text, node, span), indent: span.indent };
}

function applySplices(text: string, splices: Splice[]): string {
  let out = text;
  for (const s of [...splices].sort((a, b) => b.start - a.start)) out = out.slice(0, s.start) + s.text + out.slice(s.end);
  return out;
}

function isScalarValue(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function scalarText(value: string | number | boolean): string {
  return new Document(value).toString(RENDER).replace(/\n$/, '');
}
