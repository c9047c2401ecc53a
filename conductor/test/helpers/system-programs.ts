// Tests that need a program npm cannot bring (bubblewrap, a browser): they run
// where it is installed. Elsewhere they do not run, and the end of the test run
// says so plainly with how to get the program (global-setup.ts prints it) — a
// fresh machine with only Node and git passes `npm test`. Under CI=true a
// missing program is not excused: the tests run and fail, naming it.
import { appendFileSync } from 'node:fs';
import { which } from '../../src/util/which.js';

export interface SystemProgram {
  /** The executable looked up on PATH. */
  program: string;
  /** What does not run without it, e.g. "the bubblewrap sandbox tests". */
  tests: string;
  /** How to get it, e.g. "apt-get install bubblewrap". */
  install: string;
}

/** The file global-setup.ts reads at the end of the run. */
export const NOT_RUN_FILE = 'CONDUCTOR_TESTS_NOT_RUN';

/** True when the tests that need `needed.program` should run here. `present` overrides the PATH lookup for a
 *  program found elsewhere or a capability (root, network namespaces) rather than a program. */
export function canRun(needed: SystemProgram, present = Boolean(which(needed.program, process.env.PATH))): boolean {
  if (present) return true;
  if (process.env.CI === 'true') return true; // they run, and fail with the program's name
  const file = process.env[NOT_RUN_FILE];
  if (file) appendFileSync(file, `${JSON.stringify(needed)}\n`);
  return false;
}

/** Throws the clear error a test under CI=true fails with when the program is missing. */
export function requireProgram(needed: SystemProgram): void {
  if (!which(needed.program, process.env.PATH)) throw new Error(`${needed.program} is not installed: ${needed.tests} need it (${needed.install}; .ci/run installs it)`);
}

export const BWRAP: SystemProgram = { program: 'bwrap', tests: 'the bubblewrap sandbox tests', install: 'Debian/Ubuntu: apt-get install bubblewrap' };
export const CARGO: SystemProgram = { program: 'cargo', tests: 'the real `cargo test` gate test', install: 'Debian/Ubuntu: apt-get install cargo' };
export const CHROMIUM: SystemProgram = { program: 'chromium', tests: 'the dashboard\'s browser tests (conductor ui)', install: 'Debian/Ubuntu: apt-get install chromium' };
