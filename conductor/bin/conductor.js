#!/usr/bin/env node
// Entry point: load the compiled CLI. Kept tiny so `conductor --version` starts fast.
import { existsSync } from 'node:fs';

const entry = new URL('../../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('conductor: not built yet — run `npm install` (or `npm run build`) in the conductor checkout\n');
  process.exitCode = 1;
} else {
  const { main } = await import(entry.href);
  await main();
}
