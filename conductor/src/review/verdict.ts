// The reviewer's reply, as models write it. Strict on meaning: a verdict word
// conductor knows, a summary, at least one required change for `changes`, and
// one verdict per reply. Tolerant on form: fenced or bare, prose around it,
// trailing commas, comments, single quotes or a cut-off tail (repaired by
// jsonrepair), the verdict word in any case or a common synonym, camelCase
// keys, missing lists (empty), and keys it does not know (set aside, not used).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { jsonrepair } from 'jsonrepair';
import { packageRoot } from '../paths.js';

export interface Verdict {
  verdict: 'approve' | 'changes' | 'rebase';
  summary: string;
  required_changes: string[];
  negative_evidence: string[];
}

const require = createRequire(import.meta.url);
let validate: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!validate) {
    const { Ajv2020 } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    const schema = JSON.parse(readFileSync(join(packageRoot(), 'conductor', 'schemas', 'review.schema.json'), 'utf8')) as object;
    validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
  }
  return validate;
}

export type ParsedVerdict =
  | { ok: true; verdict: Verdict; /** Keys conductor does not know, kept aside. */ ignored: Record<string, unknown> }
  | { ok: false; /** The exact problem, worded for the reviewer asked again. */ reason: string };

const VERDICT_WORDS = 'approve, changes or rebase';

/** Verdict words as models write them (lower case, spaces and hyphens as `_`); "reject" is left out: it could mean changes or rebase. */
const SYNONYMS: Readonly<Record<string, Verdict['verdict']>> = {
  approve: 'approve', approved: 'approve', approval: 'approve', accept: 'approve', accepted: 'approve', lgtm: 'approve', pass: 'approve', passed: 'approve',
  changes: 'changes', change: 'changes', request_changes: 'changes', request_change: 'changes', requested_changes: 'changes', changes_requested: 'changes',
  changes_required: 'changes', needs_changes: 'changes', needs_work: 'changes', revise: 'changes',
  rebase: 'rebase', needs_rebase: 'rebase', request_rebase: 'rebase', rebase_requested: 'rebase', rewrite: 'rebase',
};

const KEYS = new Set(['verdict', 'summary', 'required_changes', 'negative_evidence']);

/** The verdict in a reply: the fenced JSON blocks if any hold an object, else the whole reply, else its outermost `{…}` (or `{…` to the end, when cut off). */
export function parseVerdict(reply: string): ParsedVerdict {
  if (reply.trim() === '') return { ok: false, reason: 'the reply was empty' };
  const objects = objectsInReply(reply);
  if (objects.length === 0) return { ok: false, reason: 'the reply holds no JSON object' };
  const withVerdict = objects.filter((object) => Object.keys(object).some((key) => snakeCase(key) === 'verdict'));
  if (withVerdict.length === 0) return { ok: false, reason: `the JSON object has no "verdict" key (it has ${describeKeys(objects.at(-1)!)})` };
  const parsed = withVerdict.map(normalizeVerdict);
  const good = parsed.filter((p): p is Extract<ParsedVerdict, { ok: true }> => p.ok);
  const words = [...new Set(good.map((p) => p.verdict.verdict))];
  if (words.length > 1) return { ok: false, reason: `the reply holds ${good.length} verdicts that disagree (${words.join(', ')}); give exactly one` };
  // Models that correct themselves put the final answer last.
  return good.at(-1) ?? parsed.at(-1)!;
}

/** One object as a verdict: known keys in any spelling, lists where lists belong, the rest set aside. */
export function normalizeVerdict(object: Record<string, unknown>): ParsedVerdict {
  const known: Record<string, unknown> = {};
  const ignored: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    const name = snakeCase(key);
    if (KEYS.has(name) && !(name in known)) known[name] = value;
    else ignored[key] = value;
  }
  const word = typeof known.verdict === 'string' ? SYNONYMS[known.verdict.trim().toLowerCase().replace(/[\s-]+/g, '_')] : undefined;
  if (!word) return { ok: false, reason: `"verdict" must be one of ${VERDICT_WORDS}, got ${JSON.stringify(known.verdict)}` };
  const summary = typeof known.summary === 'string' ? known.summary.trim() : '';
  if (!summary) return { ok: false, reason: `"summary" is ${known.summary === undefined ? 'missing' : 'empty or not a string'}: say in one or two sentences why you chose "${word}"` };
  const required = asList(known.required_changes, 'required_changes');
  const evidence = asList(known.negative_evidence, 'negative_evidence');
  if (typeof required === 'string') return { ok: false, reason: required };
  if (typeof evidence === 'string') return { ok: false, reason: evidence };
  const verdict: Verdict = { verdict: word, summary, required_changes: required, negative_evidence: evidence };
  const check = validator();
  if (!check(verdict)) {
    if (check.errors?.some((e) => e.instancePath === '/required_changes' && e.keyword === 'minItems')) {
      return { ok: false, reason: '"verdict" is "changes" but "required_changes" is empty: list at least one specific change, or approve' };
    }
    const first = check.errors?.[0];
    return { ok: false, reason: `the verdict does not match the schema: ${first?.instancePath || '/'} ${first?.message ?? ''}`.trim() };
  }
  return { ok: true, verdict, ignored };
}

/** A missing or null list is empty, a lone string is a list of one; anything else that is not a list is the problem returned. */
function asList(value: unknown, name: string): string[] | string {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  const lines: string[] = [];
  for (const item of items) {
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') lines.push(String(item).trim());
    else if (item !== null && typeof item === 'object') lines.push(JSON.stringify(item));
    else if (item !== null) return `"${name}" must be a list of strings`;
  }
  return lines.filter(Boolean);
}

/** Objects in the reply, in order: from JSON blocks when any holds one, else from the reply itself. */
function objectsInReply(reply: string): Record<string, unknown>[] {
  const blocks = [...reply.matchAll(/```[ \t]*([\w+-]*)[^\n]*\n([\s\S]*?)(?:```|$)/g)].filter((m) => /^(json5?|jsonc|js|javascript)?$/i.test(m[1]!)).map((m) => m[2]!);
  const fromBlocks = blocks.flatMap(objectsIn);
  if (fromBlocks.length > 0) return fromBlocks;
  const start = reply.indexOf('{');
  const end = reply.lastIndexOf('}');
  for (const candidate of [reply.trim(), end > start ? reply.slice(start, end + 1) : undefined, start === -1 ? undefined : reply.slice(start)]) {
    const found = candidate === undefined ? [] : objectsIn(candidate);
    if (found.length > 0) return found;
  }
  return [];
}

function objectsIn(text: string): Record<string, unknown>[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    try {
      value = JSON.parse(jsonrepair(text));
    } catch {
      return [];
    }
  }
  return (Array.isArray(value) ? value : [value]).filter((v): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v));
}

function snakeCase(key: string): string {
  return key
    .trim()
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

function describeKeys(object: Record<string, unknown>): string {
  const keys = Object.keys(object);
  return keys.length ? keys.map((k) => JSON.stringify(k)).join(', ') : 'no keys';
}
