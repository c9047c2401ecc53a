// The reviewer's reply: one JSON object, validated against a shipped schema.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv/dist/2020.js';
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

export type ParsedVerdict = { ok: true; verdict: Verdict } | { ok: false; reason: string };

/** The verdict in a reply: the whole reply, a fenced ```json block, or the outermost {...}. */
export function parseVerdict(reply: string): ParsedVerdict {
  const candidates = [reply.trim(), /```(?:json)?\s*\n([\s\S]*?)```/.exec(reply)?.[1]?.trim(), outermostObject(reply)].filter((c): c is string => Boolean(c));
  let lastReason = 'the reply holds no JSON object';
  for (const candidate of candidates) {
    let value: unknown;
    try {
      value = JSON.parse(candidate);
    } catch {
      continue;
    }
    const check = validator();
    if (check(value)) return { ok: true, verdict: value as Verdict };
    const first = check.errors?.[0];
    lastReason = `the verdict does not match the schema: ${first?.instancePath || '/'} ${first?.message ?? ''}`.trim();
  }
  return { ok: false, reason: lastReason };
}

function outermostObject(text: string): string | undefined {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  return start !== -1 && end > start ? text.slice(start, end + 1) : undefined;
}
