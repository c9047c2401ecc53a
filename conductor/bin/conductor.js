#!/usr/bin/env node
// Entry point: load the compiled CLI. Kept tiny so `conductor --version` starts fast.
import { existsSync } from 'node:fs';

const entry = new URL('../../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('conductor: not built yet — run `npm install` (or `npm run build`) in the conductor checkout\n');
  process.exitCode = 1;
} else {
  // Node exits with 13 when a top-level await never settles because nothing is
  // left that keeps its event loop alive: conductor would stop mid-command
  // with no word. Say so, rather than end silently.
  process.on('exit', (code) => {
    if (code === 13) process.stderr.write('conductor: internal error: stopped while a command was still in progress (Node exit 13: nothing left to wait for). This is a bug; please report it with the command and `conductor --version`.\n');
  });
  const { main } = await import(entry.href);
  await main();
}
