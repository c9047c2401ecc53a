// `conductor ui`'s HTTP API (#17.2-3) on a real process: GET /api/run is
// `status --json`, GET /api/events streams the run's events, a Host header
// that is not the address served is refused (DNS rebinding), a change needs
// the per-start token, and nothing outside the conductor records is served.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents } from '../src/events/event-log.js';
import { replayStatus } from '../src/events/replay.js';
import { hostAllowed } from '../src/ui/safety.js';
import { conductor } from './helpers/cli.js';
import { scriptedRepo, startUi } from './helpers/dashboard.js';
import { testdir } from './helpers/dirs.js';

interface Answer {
  status: number;
  body: string;
}

/** One HTTP request with the headers given (Host included), as a browser or an attacker's page would send it. */
function call(port: number, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host: `127.0.0.1:${port}`, ...options.headers } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The `data:` messages of an SSE stream until `enough` of them came. */
function sse(port: number, path: string, enough: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}` } }, (res) => {
      expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const messages = text.split('\n\n').filter((m) => m.startsWith('data: ')).map((m) => JSON.parse(m.slice(6)) as unknown);
        if (messages.length >= enough) {
          req.destroy();
          resolve(messages);
        }
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? undefined : reject(error)));
    req.end();
  });
}

describe('conductor ui on the demo\'s recorded run', () => {
  let home: string;
  let repo: string;
  let demoOut: string;
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'conductor-ui-api-'));
    const demo = await conductor(['demo'], { cwd: home, env: { TMPDIR: home }, timeoutMs: 120_000 });
    expect(demo.exitCode, demo.stderr).toBe(0);
    demoOut = demo.stdout;
    repo = /^ {2}repository: (.+)$/m.exec(demo.stdout)![1]!;
  }, 150_000);
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('ends the demo by saying how to open the dashboard', () => {
    expect(demoOut).toMatch(/\n {2}node \S+conductor\.js ui {8}# the dashboard: open the link it prints \(the run, its tasks, a timeline, each task's diff\)\n/);
  });

  it('serves status --json as /api/run, the stream as /api/events, and the stream replays into the same status', async () => {
    const ui = await startUi(repo);
    expect(ui.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{32}$/);
    const status = JSON.parse((await conductor(['status', '--json'], { cwd: repo })).stdout) as unknown;
    const run = await call(ui.port, '/api/run');
    expect(run.status).toBe(200);
    expect(JSON.parse(run.body)).toEqual(status);
    const { events } = await readEvents(join(repo, '.conductor', 'events.jsonl'));
    expect(replayStatus(events)).toEqual(status);

    const streamed = await sse(ui.port, '/api/events', events.length);
    expect(streamed).toEqual(events);
    const runs = JSON.parse((await call(ui.port, '/api/runs')).body) as { id: string; current: boolean; feature: string; state: string }[];
    expect(runs.map((r) => [r.current, r.feature, r.state])).toEqual([[true, 'key-expiry', 'finished']]);

    // A task's detail: its context, the merge's diff, the verdict, the gate, the tokens.
    const detail = JSON.parse((await call(ui.port, '/api/task?id=T02')).body) as { context: string; diff: string; diffOf: string; review: { verdict: string }; gates: { attempt: number; name: string; passed: boolean; failures?: string }[]; inputTokens: number };
    expect(detail.context.split('\n')[0]).toBe('# Task T02: TTL on set and get');
    expect(detail.diffOf).toMatch(/^the merge into conductor\/key-expiry \([0-9a-f]{8}\)$/);
    expect(detail.diff).toContain('+++ b/src/store.js');
    expect(detail.review.verdict).toBe('approve');
    expect(detail.gates.map((g) => [g.attempt, g.name, g.passed])).toEqual([[1, 'test', false], [2, 'test', true]]);
    expect(detail.gates[0]!.failures!.split('\n').slice(0, 2)).toEqual(['✗ a key is there until its expiry and gone exactly at it (test/ttl.test.js:21:10)', '  AssertionError: Expected values to be strictly equal:']);
    expect(detail.inputTokens).toBe((status as { tasks: { id: string; inputTokens: number }[] }).tasks.find((t) => t.id === 'T02')!.inputTokens);
  });

  it('refuses a Host header that is not the address it serves, and serves only its own pages', async () => {
    const ui = await startUi(repo);
    const rebound = await call(ui.port, '/api/run', { headers: { host: `attacker.example:${ui.port}` } });
    expect(rebound).toEqual({ status: 403, body: JSON.stringify({ error: `refused: the Host header must be 127.0.0.1:${ui.port}` }) });
    expect((await call(ui.port, '/', { headers: { host: `127.0.0.1:${ui.port + 1}` } })).status).toBe(403);
    expect((await call(ui.port, '/api/run', { headers: { host: `localhost:${ui.port}` } })).status).toBe(200);
    const page = await call(ui.port, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script type="module" src="app.js"></script>');
    expect(await call(ui.port, '/../../../etc/passwd')).toEqual({ status: 404, body: JSON.stringify({ error: 'no such page: GET /etc/passwd' }) });
    expect(await call(ui.port, '/api/task?id=../../etc/passwd')).toEqual({ status: 400, body: JSON.stringify({ error: 'not a task id: "../../etc/passwd"' }) });
    expect(await call(ui.port, '/api/run?run=nope')).toEqual({ status: 404, body: JSON.stringify({ error: '--run nope: no such run' }) });
  });
});

describe('conductor ui on a scripted run', () => {
  it('changes state only with the token printed with the URL', async () => {
    const repo = scriptedRepo();
    expect((await conductor(['implement'], { cwd: repo, timeoutMs: 120_000 })).exitCode).toBe(1); // T03 blocked
    const ui = await startUi(repo);
    const refused = JSON.stringify({ error: "refused: a change needs the token printed with the dashboard's URL" });
    expect(await call(ui.port, '/api/retry?id=T03', { method: 'POST' })).toEqual({ status: 403, body: refused });
    expect(await call(ui.port, '/api/retry?id=T03', { method: 'POST', headers: { 'x-conductor-token': `${ui.token.slice(1)}x` } })).toEqual({ status: 403, body: refused });
    const done = await call(ui.port, '/api/retry?id=T01', { method: 'POST', headers: { 'x-conductor-token': ui.token } });
    expect(done.status).toBe(409);
    expect((JSON.parse(done.body) as { output: string }).output).toBe('conductor: T01 is done: only a blocked or failed task can be retried\nhint: it is merged already');
    const retried = await call(ui.port, '/api/retry?id=T03', { method: 'POST', headers: { 'x-conductor-token': ui.token } });
    expect(JSON.parse(retried.body)).toEqual({ exitCode: 0, output: 'T03 is pending again with 0 attempts (was blocked); run it with: conductor resume' });
    const rows = (JSON.parse((await call(ui.port, '/api/run')).body) as { tasks: { id: string; state: string }[] }).tasks;
    expect(rows.map((t) => `${t.id} ${t.state}`)).toEqual(['T01 done', 'T02 done', 'T03 pending']);
    // The retry is in the stream too.
    const last = (await readEvents(join(repo, '.conductor', 'events.jsonl'))).events.at(-1);
    expect(last).toMatchObject({ type: 'task', task: 'T03', from: 'blocked', to: 'pending', kind: 'human' });
  });

  it('does not follow a record\'s path outside the conductor records', async () => {
    const repo = scriptedRepo();
    expect((await conductor(['implement', '--only', 'T03'], { cwd: repo, timeoutMs: 120_000 })).exitCode).toBe(1);
    const secret = join(testdir(), 'secret.log');
    writeFileSync(secret, 'Error: SECRET OUTSIDE\n');
    const stream = join(repo, '.conductor', 'events.jsonl');
    const lines = readFileSync(stream, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; log?: string });
    const gateLogs = lines.filter((e) => e.type === 'gate-result').map((e) => e.log!);
    expect(gateLogs.every((log) => log.startsWith(join(repo, '.conductor', 'logs')))).toBe(true);
    const ui = await startUi(repo);
    const failures = async () => (JSON.parse((await call(ui.port, '/api/task?id=T03')).body) as { gates: { failures?: string }[] }).gates.map((g) => g.failures);
    expect(await failures()).toEqual(['T03.ts is BROKEN', 'T03.ts is BROKEN']);
    // A record that names a file elsewhere (hand-edited, or written by a misbehaving worker) is not followed.
    writeFileSync(stream, lines.map((e) => JSON.stringify(e.type === 'gate-result' ? { ...e, log: secret } : e)).join('\n') + '\n');
    expect(await failures()).toEqual([undefined, undefined]);
  });

  it('shows earlier runs, replayed from their streams, and several repositories', async () => {
    const repo = scriptedRepo();
    expect((await conductor(['implement'], { cwd: repo, timeoutMs: 120_000 })).exitCode).toBe(1);
    const before = JSON.parse((await conductor(['status', '--json'], { cwd: repo })).stdout) as { tasks: unknown[] };
    const abandoned = await conductor(['abandon'], { cwd: repo });
    expect(abandoned.exitCode, abandoned.stderr).toBe(0);
    const other = scriptedRepo();
    const ui = await startUi(repo, ['.', other]);
    expect(JSON.parse((await call(ui.port, '/api/repos')).body)).toEqual([{ index: 0, name: repo.split('/').at(-1), path: repo }, { index: 1, name: other.split('/').at(-1), path: other }]);
    const runs = JSON.parse((await call(ui.port, '/api/runs')).body) as { id: string; current: boolean; feature: string; state: string; closed?: string }[];
    expect(runs.map((r) => [r.current, r.feature, r.closed])).toEqual([[false, 'events', 'abandoned']]);
    // The earlier run's tasks as status showed them before it was archived; its run record is the abandoned one.
    const earlier = JSON.parse((await call(ui.port, `/api/run?run=${runs[0]!.id.slice(0, 8)}`)).body) as { run: { feature: string }; tasks: unknown[] };
    expect(earlier.tasks).toEqual(before.tasks);
    expect(earlier.run.feature).toBe('events');
    const t02 = JSON.parse((await call(ui.port, `/api/task?id=T02&run=${runs[0]!.id}`)).body) as { context: string; diff: string };
    expect(t02.context.split('\n')[0]).toBe('# Task T02: Retried');
    expect(t02.diff).toContain('+export const done = "T02 attempt 2";');
    // The second repository: its backlog, no run yet.
    const second = JSON.parse((await call(ui.port, '/api/run?repo=1')).body) as { run: null; tasks: { id: string; state: string }[] };
    expect([second.run, second.tasks.map((t) => `${t.id} ${t.state}`)]).toEqual([null, ['T01 pending', 'T02 pending', 'T03 pending']]);
    expect(await call(ui.port, '/api/run?repo=2')).toEqual({ status: 404, body: JSON.stringify({ error: 'no repository 2' }) });
  });

  it('takes as its own address only the one it serves (and loopback names for a loopback bind)', () => {
    expect(hostAllowed('127.0.0.1:4747', '127.0.0.1', 4747)).toBe(true);
    expect(hostAllowed('localhost:4747', '127.0.0.1', 4747)).toBe(true);
    expect(hostAllowed('[::1]:4747', '127.0.0.1', 4747)).toBe(true);
    expect(hostAllowed('127.0.0.1:4748', '127.0.0.1', 4747)).toBe(false);
    expect(hostAllowed('127.0.0.1', '127.0.0.1', 4747)).toBe(false);
    expect(hostAllowed(undefined, '127.0.0.1', 4747)).toBe(false);
    expect(hostAllowed('rebind.attacker.example:4747', '127.0.0.1', 4747)).toBe(false);
    expect(hostAllowed('192.168.1.5:4747', '192.168.1.5', 4747)).toBe(true);
    expect(hostAllowed('localhost:4747', '192.168.1.5', 4747)).toBe(false);
    expect(hostAllowed('192.168.1.5:4747', '0.0.0.0', 4747)).toBe(true);
    expect(hostAllowed('rebind.attacker.example:4747', '0.0.0.0', 4747)).toBe(false);
  });

  it('rejects bad options with one clear line and exit 2', async () => {
    const repo = scriptedRepo();
    const port = await conductor(['ui', '--port', 'abc'], { cwd: repo });
    expect([port.exitCode, port.stderr]).toEqual([2, 'conductor: Expected `--port` to be an integer from 0 to 65535, got `abc`\nhint: --port 0 picks any free port']);
    const missing = await conductor(['ui', 'no-such-dir'], { cwd: repo });
    expect([missing.exitCode, missing.stderr]).toEqual([2, 'conductor: no-such-dir: no such directory\nhint: name the repositories to show, e.g. conductor ui . ../other-repo']);
    const ui = await startUi(repo);
    const taken = await conductor(['ui', '--port', String(ui.port)], { cwd: repo });
    expect([taken.exitCode, taken.stderr]).toEqual([2, `conductor: cannot serve the dashboard on 127.0.0.1:${ui.port}: port ${ui.port} is in use\nhint: pick another with --port N (--port 0: any free port)`]);
  });
});
