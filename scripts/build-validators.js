#!/usr/bin/env node
// Part of the build: compile each shipped JSON Schema into a standalone ajv
// validator (dist/validators/<name>.cjs), so the CLI does not load and compile
// ajv at start-up. Each file records the hash of the schema it was built from;
// conductor compiles at run time instead whenever the hash does not match.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'dist', 'validators');
mkdirSync(out, { recursive: true });
for (const name of ['backlog', 'config', 'status', 'factory', 'events']) {
  const source = readFileSync(join(root, 'conductor', 'schemas', `${name}.schema.json`), 'utf8');
  const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true, code: { source: true } });
  const validate = ajv.compile(JSON.parse(source));
  const hash = createHash('sha256').update(source).digest('hex');
  const code = `${standaloneCode.default(ajv, validate)}\nmodule.exports.schemaHash = ${JSON.stringify(hash)};\n`;
  writeFileSync(join(out, `${name}.cjs`), code);
}

// The shipped worker-context template, precompiled, and its size model (see conductor/src/context/task-context.ts).
const { calibrateContextModel, hashTemplate, shippedTemplateSource, TEMPLATE_OPTIONS } = await import('../dist/context/task-context.js');
const { default: Handlebars } = await import('handlebars');
const template = shippedTemplateSource();
writeFileSync(join(out, 'task-context.template.cjs'), `module.exports = { hash: ${JSON.stringify(hashTemplate(template))}, spec: ${Handlebars.precompile(template, TEMPLATE_OPTIONS)} };\n`);
writeFileSync(join(out, 'task-context-model.json'), `${JSON.stringify(calibrateContextModel(template), null, 2)}\n`);
