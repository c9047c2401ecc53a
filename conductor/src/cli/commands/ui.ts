// conductor ui [repo ...] [--port N] [--host ADDR] [--open]: the local web
// dashboard (conductor/src/ui/). Prints its URL, with the token changes need
// in the URL's fragment (never sent to the server, never in its logs), and
// serves until Ctrl-C.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { ConductorError } from '../../errors.js';
import { startDashboard } from '../../ui/server.js';
import { findRepoRoot } from '../../util/repo-root.js';
import type { CommandContext } from '../context.js';

const DEFAULT_PORT = 4747;

export async function run(ctx: CommandContext): Promise<number> {
  const port = portOf(ctx.options.port);
  const host = typeof ctx.options.host === 'string' ? ctx.options.host : '127.0.0.1';
  const repos = (ctx.args.length > 0 ? ctx.args : [ctx.cwd]).map((arg) => repoOf(ctx.cwd, arg));
  const dashboard = await startDashboard({ repos: [...new Set(repos)], host, port });
  const link = `${dashboard.url}#token=${dashboard.token}`;
  ctx.stdout.write(`dashboard: ${link}\n`);
  ctx.stdout.write(`  ${repos.length === 1 ? `repository: ${repos[0]}` : `repositories: ${repos.join(', ')}`}\n`);
  ctx.stdout.write(`  actions (retry a task) need the token in that link; Ctrl-C stops the dashboard\n`);
  if (ctx.options.open) await openBrowser(link).catch((error: unknown) => ctx.stderr.write(`warning: could not open a browser (${(error as Error).message}); open the link above\n`));
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await dashboard.close();
  return 0;
}

function portOf(value: string | boolean | undefined): number {
  if (value === undefined || typeof value === 'boolean') return DEFAULT_PORT;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new ConductorError('USAGE', `Expected \`--port\` to be an integer from 0 to 65535, got \`${value}\``, { hint: '--port 0 picks any free port' });
  return n;
}

function repoOf(cwd: string, arg: string): string {
  const dir = resolve(cwd, arg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConductorError('USAGE', `${arg}: no such directory`, { hint: 'name the repositories to show, e.g. conductor ui . ../other-repo' });
  const root = findRepoRoot(dir);
  if (root === undefined) throw new ConductorError('USAGE', `${arg} is not inside a git repository`, { hint: 'name the repositories to show, e.g. conductor ui . ../other-repo' });
  return root;
}

async function openBrowser(url: string): Promise<void> {
  const [command, ...args] = process.platform === 'darwin' ? ['open', url] : process.platform === 'win32' ? ['cmd', '/c', 'start', '', url] : ['xdg-open', url];
  await execa(command!, args, { detached: true, stdio: 'ignore', timeout: 10_000 });
}
