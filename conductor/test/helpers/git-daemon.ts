// A bare repository served over git:// by `git daemon` (fetch and push, no auth), for tests whose
// workers reach the shared remote over the network instead of a file path.
import { spawn, execFileSync } from 'node:child_process';
import { basename, dirname } from 'node:path';
import { freePort, waitForPort } from './free-port.js';

export interface GitDaemon {
  /** git://127.0.0.1:PORT/<repo>.git (the host given by `listen` when it is one address). */
  url: string;
  port: number;
  /** The same repository at another address the daemon listens on (a veth address for a namespace). */
  urlAt(host: string): string;
  pid: number;
  close(): Promise<void>;
}

export interface GitDaemonOptions {
  /** The address to listen on; default 127.0.0.1. '0.0.0.0' serves every interface (host and veths). */
  listen?: string;
}

/** Makes a bare repository at `path` (git init --bare) with `main` as its head. */
export function initBare(path: string): string {
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', path], { stdio: 'pipe' });
  return path;
}

/** Serves the bare repository at `bareRepo` until close(). */
export async function serveGit(bareRepo: string, options: GitDaemonOptions = {}): Promise<GitDaemon> {
  const listen = options.listen ?? '127.0.0.1';
  const port = await freePort(listen === '0.0.0.0' ? '0.0.0.0' : listen);
  const daemon = spawn('git', [
    'daemon', '--export-all', '--enable=receive-pack', '--reuseaddr', '--informative-errors',
    `--base-path=${dirname(bareRepo)}`, `--listen=${listen}`, `--port=${port}`, dirname(bareRepo),
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  daemon.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  try {
    await Promise.race([
      waitForPort(listen === '0.0.0.0' ? '127.0.0.1' : listen, port),
      exited.then(() => { throw new Error(`git daemon exited at start: ${stderr}`); }),
    ]);
  } catch (error) {
    daemon.kill('SIGKILL');
    throw error;
  }
  const urlAt = (host: string) => `git://${host}:${port}/${basename(bareRepo)}`;
  return {
    url: urlAt(listen === '0.0.0.0' ? '127.0.0.1' : listen),
    port,
    urlAt,
    pid: daemon.pid!,
    async close() {
      if (daemon.exitCode !== null || daemon.signalCode !== null) return;
      daemon.kill('SIGTERM');
      await exited;
    },
  };
}
