// The CLI tests run the built binary as a user would: build it first so they
// never test a stale dist/. At the end, say which tests did not run because a
// program npm cannot bring is missing here (see helpers/system-programs.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NOT_RUN_FILE, type SystemProgram } from './helpers/system-programs.js';

export default function setup(): () => void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(process.execPath, [fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/build-validators.js'], { cwd: root, stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'conductor-not-run-'));
  const file = join(dir, 'not-run.jsonl');
  process.env[NOT_RUN_FILE] = file;
  return () => {
    const lines = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
    rmSync(dir, { recursive: true, force: true });
    const missing = new Map<string, SystemProgram>();
    for (const line of lines) missing.set((JSON.parse(line) as SystemProgram).program, JSON.parse(line) as SystemProgram);
    if (missing.size === 0) return;
    const says = [...missing.values()].map((m) => `  - ${m.tests} did NOT run: ${m.program} is not installed (${m.install}).`);
    process.stdout.write(`\nNot run on this machine (a program npm cannot bring is missing; with CI=true these fail instead):\n${says.join('\n')}\n\n`);
  };
}
