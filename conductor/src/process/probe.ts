// Short, bounded commands whose output we just read (version probes):
// argument arrays, stdin closed, killed with their group after a timeout.
import { execa } from 'execa';

export interface ProbeResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
}

export async function probe(argv: readonly string[], options: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<ProbeResult> {
  const [file, ...args] = argv;
  if (!file) return { ok: false, stdout: '', stderr: 'empty command', exitCode: undefined };
  const result = await execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: options.env === undefined,
    stdin: 'ignore',
    reject: false,
    timeout: options.timeoutMs ?? 10_000,
    forceKillAfterDelay: 1000,
    maxBuffer: 1024 * 1024,
  });
  return { ok: !result.failed && result.exitCode === 0, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), exitCode: result.exitCode };
}
