// The CLI boundary: parse, lazy-load the command, map errors to exit codes.
// The only place that looks at process.argv or sets the exit code.
import { createInterface } from 'node:readline/promises';
import { exitCodeOf } from '../errors.js';
import { packageVersion } from '../paths.js';
import type { Output } from './context.js';
import { renderHelp } from './help.js';
import { parseCLI } from './parse-cli.js';
import { renderError, renderErrorJson } from './render-error.js';
import { faultPoint } from '../util/fault.js';
import { asIoFailure } from '../io-failure.js';
import { paintFor, wantsColor } from '../util/colors.js';

export interface RunIO {
  stdout: Output;
  stderr: Output;
  cwd: string;
  confirm?: (question: string) => Promise<boolean>;
}

export async function runCLI(argv: readonly string[], io: RunIO): Promise<number> {
  const verbose = argv.includes('--verbose');
  const json = argv.includes('--json');
  try {
    const parsed = parseCLI(argv);
    if (parsed.kind === 'version') {
      io.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    if (parsed.kind === 'help') {
      io.stdout.write(renderHelp(packageVersion(), parsed.command));
      return 0;
    }
    faultPoint('cli:before-command');
    const module = await parsed.command.load();
    return await module.run({ args: parsed.args, options: parsed.options, cwd: io.cwd, stdout: io.stdout, stderr: io.stderr, verbose: parsed.verbose, ...(io.confirm ? { confirm: io.confirm } : {}) });
  } catch (thrown) {
    // A full disk or a read-only directory is the machine's fault, not a bug: said as such, exit 1.
    const error = asIoFailure(thrown);
    if (json) io.stdout.write(renderErrorJson(error));
    else io.stderr.write(renderError(error, { verbose, version: safeVersion(), paint: paintFor(io.stderr.color) }));
    return exitCodeOf(error);
  }
}

function safeVersion(): string {
  try {
    return packageVersion();
  } catch {
    return 'unknown';
  }
}

export async function main(): Promise<void> {
  // Output piped into a program that stops reading (conductor events | head): not a crash; what is left is dropped.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  const argv = process.argv.slice(2);
  // CONDUCTOR_TTY=1 treats both streams as terminals: for tests and for tools that record a session through pipes.
  const forced = process.env.CONDUCTOR_TTY === '1';
  const terminal = (stream: { isTTY?: boolean }) => (forced || stream.isTTY === true) && process.env.TERM !== 'dumb';
  const streamOf = (stream: NodeJS.WriteStream): RunIO['stdout'] => ({
    write: (text: string) => void stream.write(text),
    isTTY: terminal(stream),
    color: wantsColor(terminal(stream), process.env, argv),
    get columns() {
      return stream.columns;
    },
  });
  const io: RunIO = {
    stdout: streamOf(process.stdout),
    stderr: streamOf(process.stderr),
    cwd: process.cwd(),
    ...(process.stdin.isTTY ? { confirm } : {}),
  };
  process.exitCode = await runCLI(argv, io);
}

/** A yes/no question on the terminal: only "y" or "yes" is yes. */
async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(?:es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}
