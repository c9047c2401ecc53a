// Validators for the shipped schema files. The build precompiles them
// (scripts/build-validators.js) so start-up skips loading and compiling ajv;
// when a precompiled validator is missing or was built from another version
// of its schema, the schema is compiled here instead.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { packageRoot, schemaPath } from '../paths.js';

export type SchemaName = 'backlog' | 'config' | 'status' | 'factory' | 'events';

const cache = new Map<SchemaName, ValidateFunction>();
const require = createRequire(import.meta.url);

export function loadSchema(name: SchemaName): Record<string, unknown> {
  return JSON.parse(readFileSync(schemaPath(name), 'utf8')) as Record<string, unknown>;
}

export function validatorFor(name: SchemaName): ValidateFunction {
  let validate = cache.get(name);
  if (!validate) {
    const source = readFileSync(schemaPath(name), 'utf8');
    validate = precompiled(name, source) ?? compile(source);
    cache.set(name, validate);
  }
  return validate;
}

function precompiled(name: SchemaName, source: string): ValidateFunction | undefined {
  const file = join(packageRoot(), 'dist', 'validators', `${name}.cjs`);
  if (!existsSync(file)) return undefined;
  const module = require(file) as ValidateFunction & { schemaHash?: string };
  return module.schemaHash === createHash('sha256').update(source).digest('hex') ? module : undefined;
}

function compile(source: string): ValidateFunction {
  const { Ajv2020 } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
  return ajv.compile(JSON.parse(source) as object);
}

/** Run a schema and return ajv's raw errors (empty when valid). */
export function schemaErrors(name: SchemaName, value: unknown): ErrorObject[] {
  const validate = validatorFor(name);
  return validate(value) ? [] : [...(validate.errors ?? [])];
}

/** For tests: compile from the schema file, ignoring any precompiled validator. */
export function compiledAtRuntime(name: SchemaName): ValidateFunction {
  return compile(readFileSync(schemaPath(name), 'utf8'));
}
