// Run the built conductor CLI as a user would: a real process, real exit code.
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/conductor.js', import.meta.url));

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function conductor(args: string[], options: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<CliResult> {
  const result = await execa(process.execPath, [BIN, ...args], { cwd: options.cwd, env: options.env, reject: false, stdin: 'ignore', timeout: options.timeoutMs ?? 60_000 });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** A line that looks like a JavaScript stack frame. */
export const STACK_FRAME = /^\s+at .+\(.+:\d+:\d+\)$|^\s+at .+:\d+:\d+$/m;

/** A session's log path as failure summaries name it, masked: `; log: <call.log>` (its id is random). */
export const maskLogs = (text: string): string => text.replace(/; log: (?:\S*\/)?\.conductor\/sessions\/[0-9a-f-]{36}\/call\.log/g, '; log: <call.log>');
