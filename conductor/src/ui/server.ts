// `conductor ui`: the dashboard's HTTP server, node:http only. Static assets
// shipped in the package (conductor/ui/), a JSON API over the repositories'
// conductor records and the event stream as Server-Sent Events. Read-only but
// for one action (retry a task), which needs the per-start token.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { execa } from 'execa';
import { ConductorError, messageOf } from '../errors.js';
import { readEvents } from '../events/event-log.js';
import { replayStatus } from '../events/replay.js';
import { findRun, listRuns, type RunStream } from '../events/run-streams.js';
import { EventTail } from '../events/tail.js';
import { packageRoot } from '../paths.js';
import { readStatusSnapshot } from '../status/snapshot.js';
import { hostAllowed, newToken, tokenMatches, urlHost } from './safety.js';
import { logTail, taskDetail, validTaskId } from './task-detail.js';

const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/views.js': { file: 'views.js', type: 'text/javascript; charset=utf-8' },
  '/format.js': { file: 'format.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};
const TAIL_MS = 250;
const HEARTBEAT_MS = 15_000;
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface DashboardOptions {
  repos: readonly string[];
  host: string;
  port: number;
}

export interface Dashboard {
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const token = newToken();
  const streams = new Set<ServerResponse>();
  let port = options.port;
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : error instanceof ConductorError && (error.code === 'USAGE' || error.code === 'INPUT_INVALID') ? 404 : 500;
      if (!res.headersSent) sendJson(res, status, { error: messageOf(error) });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req.headers.host, options.host, port)) throw new HttpError(403, `refused: the Host header must be ${urlHost(options.host)}:${port}`);
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204, SECURITY_HEADERS);
      res.end();
      return;
    }
    const asset = ASSETS[url.pathname];
    if (req.method === 'GET' && asset) {
      res.writeHead(200, { 'content-type': asset.type, ...SECURITY_HEADERS });
      res.end(await readFile(join(packageRoot(), 'conductor', 'ui', asset.file)));
      return;
    }
    if (req.method !== 'GET' && !tokenMatches(header(req, 'x-conductor-token'), token)) throw new HttpError(403, 'refused: a change needs the token printed with the dashboard\'s URL');
    const repoIndex = Number(url.searchParams.get('repo') ?? '0');
    const repoRoot = options.repos[repoIndex];
    if (!Number.isInteger(repoIndex) || repoRoot === undefined) throw new HttpError(404, `no repository ${url.searchParams.get('repo')}`);
    const runOf = async (): Promise<RunStream | undefined> => {
      const wanted = url.searchParams.get('run') ?? undefined;
      if (wanted === undefined && (await listRuns(repoRoot)).length === 0) return undefined;
      return findRun(repoRoot, wanted);
    };
    switch (`${req.method} ${url.pathname}`) {
      case 'GET /api/repos':
        return sendJson(res, 200, options.repos.map((path, index) => ({ index, name: basename(path), path })));
      case 'GET /api/runs':
        return sendJson(res, 200, (await listRuns(repoRoot)).map((r) => ({ id: r.id, current: r.current, feature: r.journal?.slug, state: r.journal?.state, startedAt: r.journal?.startedAt, closed: r.journal?.closed?.how })));
      case 'GET /api/run': {
        const stream = await runOf();
        const backlog = join(repoRoot, 'tasks', 'BACKLOG.yaml');
        if (!stream && !existsSync(backlog)) return sendJson(res, 200, { run: null, tasks: [] });
        // The current run as `status --json` says it; an earlier one (or a current one whose backlog a human broke) from its stream.
        if (!stream?.current) return sendJson(res, 200, stream ? replayStatus((await readEvents(stream.eventsFile)).events) : await readStatusSnapshot(repoRoot, backlog, 'tasks/BACKLOG.yaml', true));
        const snapshot = await readStatusSnapshot(repoRoot, backlog, 'tasks/BACKLOG.yaml', true).catch(() => undefined);
        return sendJson(res, 200, snapshot ?? replayStatus((await readEvents(stream.eventsFile)).events, { live: true }));
      }
      case 'GET /api/events': {
        const stream = await runOf();
        return streamEvents(res, stream?.eventsFile ?? join(repoRoot, '.conductor', 'events.jsonl'));
      }
      case 'GET /api/task':
      case 'GET /api/log': {
        const id = url.searchParams.get('id');
        if (!validTaskId(id)) throw new HttpError(400, `not a task id: ${JSON.stringify(id)}`);
        const stream = await runOf();
        if (!stream) throw new HttpError(404, 'no run in this repository');
        const { events } = await readEvents(stream.eventsFile);
        if (url.pathname === '/api/task') return sendJson(res, 200, await taskDetail(repoRoot, stream, id, events));
        return sendJson(res, 200, (await logTail(repoRoot, id, events)) ?? null);
      }
      case 'POST /api/retry': {
        const id = url.searchParams.get('id');
        if (!validTaskId(id)) throw new HttpError(400, `not a task id: ${JSON.stringify(id)}`);
        // The command itself, as the user would type it: its checks, lock and messages.
        const result = await execa(process.execPath, [join(packageRoot(), 'conductor', 'bin', 'conductor.js'), 'retry', id], { cwd: repoRoot, reject: false, stdin: 'ignore', timeout: 60_000 });
        return sendJson(res, result.exitCode === 0 ? 200 : 409, { exitCode: result.exitCode, output: `${result.stdout}${result.stderr}`.trim() });
      }
      default:
        throw new HttpError(404, `no such page: ${req.method} ${url.pathname}`);
    }
  }

  /** Every event of the stream so far, then each one as it is appended; `reset` when the stream is replaced. */
  function streamEvents(res: ServerResponse, file: string): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', ...SECURITY_HEADERS });
    streams.add(res);
    const tail = new EventTail(file);
    let busy = false;
    const pump = async () => {
      if (busy) return;
      busy = true;
      try {
        const { events, reset } = await tail.read();
        if (reset) res.write('event: reset\ndata: {}\n\n');
        if (events.length > 0) res.write(events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join(''));
      } finally {
        busy = false;
      }
    };
    res.write('retry: 2000\n\n');
    void pump();
    const timer = setInterval(() => void pump().catch(() => undefined), TAIL_MS);
    const beat = setInterval(() => res.write(': alive\n\n'), HEARTBEAT_MS);
    res.on('close', () => {
      clearInterval(timer);
      clearInterval(beat);
      streams.delete(res);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? `port ${options.port} is in use` : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND' ? `${options.host} is not an address of this machine` : messageOf(error);
      reject(new ConductorError('USAGE', `cannot serve the dashboard on ${urlHost(options.host)}:${options.port}: ${why}`, { hint: error.code === 'EADDRINUSE' ? 'pick another with --port N (--port 0: any free port)' : 'pass --host 127.0.0.1 (the default)' }));
    });
    server.listen(options.port, options.host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${urlHost(options.host)}:${port}/`,
    token,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of streams) res.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...SECURITY_HEADERS });
  res.end(JSON.stringify(body));
}
