// What a command receives from the CLI layer; commands never touch
// process.argv, process.exit or the console directly.
export interface Output {
  write(text: string): void;
  /** A terminal that can be redrawn (the live task table); plain lines otherwise. */
  isTTY?: boolean;
  columns?: number;
  /** Colour wanted here: a terminal, and neither NO_COLOR nor --no-color (util/colors.ts). */
  color?: boolean;
}

export interface CommandContext {
  args: string[];
  options: Record<string, string | boolean | undefined>;
  cwd: string;
  stdout: Output;
  stderr: Output;
  verbose: boolean;
  /** Ask the human a yes/no question; absent when no one can answer (stdin is not a terminal). */
  confirm?: (question: string) => Promise<boolean>;
}
