// What a failed gate teaches the next worker: each failing check with where
// and why, read from the runner's own output by one distiller per format.

/** One failing check: a test, a type error, a lint error. */
export interface Failure {
  /** The test's name, or the rule or error code (TS2322, prefer-const). */
  check: string;
  /** file:line[:column], relative to the gate's directory when the runner printed an absolute path. */
  location?: string;
  /** The runner's message, without stack frames or code frames. */
  message: string[];
  expected?: string;
  actual?: string;
}

/** One runner's output format. */
export interface Distiller {
  format: string;
  /** The output has this runner's shape (its own markers, not the command's name). */
  matches(lines: readonly string[]): boolean;
  failures(lines: readonly string[]): Failure[];
}
