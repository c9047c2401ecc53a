// Compiled validators for the shipped schema files, built once per process.
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { schemaPath } from '../paths.js';

export type SchemaName = 'backlog' | 'config' | 'status';

const cache = new Map<SchemaName, ValidateFunction>();
let ajv: Ajv2020 | undefined;

export function loadSchema(name: SchemaName): Record<string, unknown> {
  return JSON.parse(readFileSync(schemaPath(name), 'utf8')) as Record<string, unknown>;
}

export function validatorFor(name: SchemaName): ValidateFunction {
  let validate = cache.get(name);
  if (!validate) {
    ajv ??= new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    validate = ajv.compile(loadSchema(name));
    cache.set(name, validate);
  }
  return validate;
}

/** Run a schema and return ajv's raw errors (empty when valid). */
export function schemaErrors(name: SchemaName, value: unknown): ErrorObject[] {
  const validate = validatorFor(name);
  return validate(value) ? [] : [...(validate.errors ?? [])];
}
