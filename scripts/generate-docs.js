#!/usr/bin/env node
// Regenerate the docs pages derived from the schemas (npm run docs).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const { generatedDocs } = await import('../dist/docs/pages.js');
const root = new URL('..', import.meta.url).pathname;
for (const doc of generatedDocs()) {
  writeFileSync(join(root, doc.path), doc.content);
  process.stdout.write(`wrote ${doc.path}\n`);
}
