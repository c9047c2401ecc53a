// What a command receives from the CLI layer; commands never touch
// process.argv, process.exit or the console directly.
export interface Output {
  write(text: string): void;
}

export interface CommandContext {
  args: string[];
  options: Record<string, string | boolean | undefined>;
  cwd: string;
  stdout: Output;
  stderr: Output;
  verbose: boolean;
}
