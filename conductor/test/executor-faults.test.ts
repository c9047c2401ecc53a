// The distributed executor (#19) against faults of the network and the database, with real components only:
// Debian's PostgreSQL (initdb/pg_ctl, helpers/debian-postgres.ts), the shared remote served by `git daemon`,
// workers as separate `conductor worker` processes on a Node >= 22.12 from the npm registry — in their own
// network namespaces where a link is cut. Each test waits on what the processes print or write (polls with
// deadlines), never on fixed sleeps. The scripted agent's implementer blocks on a release file the test
// creates, so an attempt is mid-flight exactly when the fault strikes.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFailed, onTestFinished } from 'vitest';
import { BIN } from './helpers/cli.js';
import { POSTGRESQL, postgresBinDir, startDebianPostgres } from './helpers/debian-postgres.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { initBare, serveGit } from './helpers/git-daemon.js';
import { makeNamespaces, NETNS, netnsAvailable, type Namespace, type Netns } from './helpers/netns.js';
import { node22 } from './helpers/node22.js';
import { canRun } from './helpers/system-programs.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const HEARTBEAT = 10; // pg-boss's smallest heartbeat

/** A process whose output lines the test waits on. */
interface Watched {
  child: ChildProcess;
  lines: string[];
  output(): string;
  /** Resolves with the first line matching `pattern` (already printed or still to come); rejects at the deadline or exit. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exit(timeoutMs?: number): Promise<number>;
}

function watch(child: ChildProcess, name: string): Watched {
  const lines: string[] = [];
  let text = '';
  let listeners: (() => void)[] = [];
  const take = (chunk: Buffer) => {
    text += chunk.toString();
    const parts = text.split('\n');
    text = parts.pop() ?? '';
    lines.push(...parts);
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  const exited = new Promise<number>((resolve) => child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : -1))));
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const output = () => `${name}:\n${[...lines, text].join('\n')}`;
  onTestFailed(() => { process.stderr.write(`\n--- ${output()}\n`); });
  return {
    child,
    lines,
    output,
    line(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find((l) => pattern.test(l));
          if (found === undefined) return false;
          listeners = listeners.filter((l) => l !== check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          listeners = listeners.filter((l) => l !== check);
          reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms\n${output()}`));
        }, timeoutMs);
        if (!check()) listeners.push(check);
        void exited.then(() => {
          if (!check()) {
            clearTimeout(timer);
            reject(new Error(`${name} exited before printing ${pattern}\n${output()}`));
          }
        });
      });
    },
    async exit(timeoutMs = 120_000) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${name} still running after ${timeoutMs} ms\n${output()}`)), timeoutMs); });
      try {
        return await Promise.race([exited, deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Polls `probe` until it returns a value other than undefined; throws at the deadline. */
async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: 'pipe' }).trim();

interface Project {
  repo: string;
  /** The bare repository the remote serves (a path on this host: the test reads it directly). */
  bare: string;
  /** Where the agents write markers and wait for release files. */
  signals: string;
}

/**
 * A repository whose implementer (the scripted agent) writes src/<task>.ts naming the worker that ran it (told by
 * its CONDUCTOR_HOME, which lies in that worker's --work-dir, `work-<tag>`: an agent gets an allowlisted
 * environment, not the worker's), records its start and end, and waits for `<signals>/release-<tag>` (or
 * `release-all`) before it finishes, holding `hold` seconds more. It gives up once the test's directory is gone.
 */
function project(options: { tasks: string[]; bare?: string; hold?: number; executor?: { queue: string; remote: string; caps?: Record<string, number> } }): Project {
  const bare = options.bare ?? initBare(join(testdir(), 'shared.git'));
  const signals = testdir();
  const body = [
    'case "$CONDUCTOR_HOME" in */work-a/*) tag=a ;; */work-b/*) tag=b ;; *) tag=here ;; esac',
    `echo "start $CONDUCTOR_TASK_ID $tag $(date +%s%N)" >> "${signals}/sessions.log"`,
    `touch "${signals}/started-$CONDUCTOR_TASK_ID-$tag"`,
    `while [ -d "${signals}" ] && [ ! -e "${signals}/release-$tag" ] && [ ! -e "${signals}/release-all" ]; do sleep 0.1; done`,
    `sleep ${options.hold ?? 0}`,
    `echo "export const by = '$tag';" > "src/$CONDUCTOR_TASK_ID.ts"`,
    `echo "end $CONDUCTOR_TASK_ID $tag $(date +%s%N)" >> "${signals}/sessions.log"`,
  ].join('\n');
  const env = { SCRIPT_EDIT: 'src/{task}.ts=export const by = "nobody";', SCRIPT_RUN: JSON.stringify([['sh', '-c', body]]) };
  const tasks = options.tasks.map((id) => `  - { id: ${id}, title: Write ${id}, description: Write src/${id}.ts., acceptance: [it exists], scope: { files_hint: [src/${id}.ts] } }\n`).join('');
  const executor = options.executor
    ? `executor:\n  queue: ${JSON.stringify(options.executor.queue)}\n  remote: ${JSON.stringify(options.executor.remote.replace('{bare}', bare))}\n  heartbeatSeconds: ${HEARTBEAT}\n${options.executor.caps ? `  providerCaps: ${JSON.stringify(options.executor.caps)}\n` : ''}`
    : '';
  const repo = gitdir({
    'conductor.config.yaml': `provider: scripted\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify(env)}\ngates: []\nconcurrency: 4\n${executor}`,
    'tasks/BACKLOG.yaml': `version: 1\nfeature: demo\ntasks:\n${tasks}`,
    'src/app.ts': 'export {};\n',
    '.gitignore': 'worktrees/\n.conductor/\n',
  });
  return { repo, bare, signals };
}

const release = (p: Project, tag: string) => writeFileSync(join(p.signals, `release-${tag}`), '');
const status = (p: Project, task: string) => JSON.parse(readFileSync(join(p.repo, 'tasks', `${task}.status.json`), 'utf8')) as { status: string; attempt: number; worker?: { id: string; host: string } };
const remoteRefs = (p: Project, prefix: string) => git(p.bare, 'for-each-ref', '--format=%(refname) %(objectname)', prefix).split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]);
/** The integration branch (conductor/<feature>: the run's one branch under conductor/). */
const integration = (p: Project) => {
  const branches = git(p.repo, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/conductor/').split('\n').filter(Boolean);
  expect(branches).toHaveLength(1);
  return branches[0]!;
};
/** The merges on the integration branch, each as its second parent (the task's commit). */
const merges = (p: Project) => git(p.repo, 'log', '--merges', '--format=%P', integration(p)).split('\n').filter(Boolean).map((l) => l.split(' ')[1]!);

/** A commit on `base` (a ref of the shared remote) writing src/T01.ts, pushed to `ref` there; its id. */
function staleResult(p: Project, base: string, ref: string): string {
  const clone = join(testdir(), 'stale');
  git(p.repo, 'clone', '-q', p.bare, clone);
  git(clone, 'fetch', '-q', 'origin', `${base}:refs/heads/stale`);
  git(clone, 'checkout', '-q', 'stale');
  writeFileSync(join(clone, 'src', 'T01.ts'), "export const by = 'stale';\n");
  git(clone, 'add', '-A');
  git(clone, '-c', 'user.name=stale', '-c', 'user.email=stale@example.com', 'commit', '-qm', 'a late result');
  git(clone, 'push', '-q', 'origin', `HEAD:${ref}`);
  return git(clone, 'rev-parse', 'HEAD');
}

function coordinator(p: Project, args: string[], node: string): Watched {
  return watch(spawn(node, [BIN, ...args], { cwd: p.repo, stdio: ['ignore', 'pipe', 'pipe'] }), 'coordinator');
}

function worker(node: string, queue: string, tag: 'a' | 'b', options: { netns?: { netns: Netns; ns: Namespace }; concurrency?: number } = {}): Watched {
  const args = [BIN, 'worker', '--queue', queue, '--id', `w-${tag}`, '--work-dir', join(testdir(), `work-${tag}`), '--grace', '2', '--concurrency', String(options.concurrency ?? 1)];
  const netns = options.netns;
  const child = netns ? netns.netns.run(netns.ns, node, args, { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(node, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return watch(child, `worker ${tag}`);
}

const debianPg = canRun(POSTGRESQL, Boolean(postgresBinDir()));

describe('the distributed executor against faults (real PostgreSQL from Debian, git daemon, network namespaces)', () => {
  it.runIf(canRun(NETNS, netnsAvailable()) && debianPg)('a worker cut off from the network mid-attempt: its lease expires, the attempt re-runs on the other worker without being charged, and its late push after the link comes back is ignored', async () => {
    const node = node22();
    const netns = makeNamespaces(2);
    onTestFinished(() => netns.close());
    const pg = await startDebianPostgres({ listen: '*' });
    onTestFinished(() => pg.close());
    // One address for every side: the host reaches it directly, each namespace over its own veth.
    const queue = pg.urlAt(netns.serviceAddress);
    const bare = initBare(join(testdir(), 'shared.git'));
    const daemon = await serveGit(bare, { listen: '0.0.0.0' });
    onTestFinished(() => daemon.close());
    const p = project({ tasks: ['T01'], bare, executor: { queue, remote: daemon.urlAt(netns.serviceAddress) } });
    const [a, b] = netns.namespaces as [Namespace, Namespace];

    const conductor = coordinator(p, ['implement'], node);
    const workers = { a: worker(node, queue, 'a', { netns: { netns, ns: a } }), b: worker(node, queue, 'b', { netns: { netns, ns: b } }) };
    const first = await Promise.race([
      workers.a.line(/^worker: took T01 attempt 1 /).then(() => 'a' as const),
      workers.b.line(/^worker: took T01 attempt 1 /).then(() => 'b' as const),
      conductor.exit().then((code) => { throw new Error(`the coordinator exited ${code} before a worker took T01\n${conductor.output()}`); }),
    ]);
    const other = first === 'a' ? 'b' : 'a';
    await until('the first agent to start', () => (existsSync(join(p.signals, `started-T01-${first}`)) ? true : undefined));

    netns.cut(first === 'a' ? a : b);
    const cutAt = Date.now();
    await workers[other].line(/^worker: took T01 attempt 1 /, 90_000); // the engine noticed the lost heartbeat and retried
    const noticedAfter = Date.now() - cutAt;
    await until('the retried agent to start', () => (existsSync(join(p.signals, `started-T01-${other}`)) ? true : undefined));

    // The cut-off worker comes back while the retry runs, and its agent finishes. Either it pushes its result to
    // its lease's ref (r0) before it learns its claim is gone, or it learns first and gives the attempt back: both
    // are fine. When it pushed nothing, the test pushes that late result by hand, as a worker would have.
    netns.restore(first === 'a' ? a : b);
    release(p, first);
    await workers[first].line(/^worker: (finished|gave back) T01 attempt 1/, 60_000);
    const lateRef = /\/attempts\/T01\/1-[0-9a-f]+-r0$/;
    const run = /\(run (\S+)\)/.exec(await workers[first].line(/^worker: took T01 attempt 1 /))![1]!;
    const token = (JSON.parse(readFileSync(join(p.repo, 'tasks', 'T01.status.json'), 'utf8')) as { remote: { token: string } }).remote.token;
    const pushed = remoteRefs(p, 'refs/conductor').find(([ref]) => lateRef.test(ref));
    const stale = pushed ? pushed[1] : staleResult(p, `refs/conductor/${run}/integration`, `refs/conductor/${run}/attempts/T01/1-${token}-r0`);

    release(p, other);
    expect(await conductor.exit(), conductor.output()).toBe(0);
    expect(conductor.output()).toContain('1 task: 1 done');
    const record = status(p, 'T01');
    expect([record.status, record.attempt, record.worker?.id]).toEqual(['done', 1, `w-${other}`]);
    const retried = remoteRefs(p, 'refs/conductor').find(([ref]) => /\/attempts\/T01\/1-[0-9a-f]+-r1$/.test(ref));
    expect(retried, JSON.stringify(remoteRefs(p, 'refs/conductor'))).toBeDefined();
    expect(merges(p)).toEqual([retried![1]]); // exactly one merge, of the retry's commit
    expect(merges(p)).not.toContain(stale);
    expect(() => git(p.repo, 'cat-file', '-e', `${stale}^{commit}`)).toThrow(); // never even fetched
    expect(git(p.repo, 'show', `${integration(p)}:src/T01.ts`)).toBe(`export const by = '${other}';`);
    // Noticed within the heartbeat and a supervision pass or two, not minutes.
    expect(noticedAfter).toBeLessThan(HEARTBEAT * 4 * 1000);
  }, 300_000);

  it.runIf(debianPg)('PostgreSQL restarted mid-run: the coordinator and both workers reconnect, and the run finishes with every task merged once', async () => {
    const node = node22();
    const pg = await startDebianPostgres();
    onTestFinished(() => pg.close());
    const p = project({ tasks: ['T01', 'T02', 'T03', 'T04'] });
    const conductor = coordinator(p, ['implement', '--queue', pg.url, '--remote', p.bare, '--concurrency', '2'], node);
    const workers = [worker(node, pg.url, 'a'), worker(node, pg.url, 'b')];
    await until('two attempts mid-flight', () => (readStarts(p).length >= 2 ? true : undefined), 90_000);

    await pg.restart();
    release(p, 'all');
    expect(await conductor.exit(180_000), `${conductor.output()}\n${workers.map((w) => w.output()).join('\n')}`).toBe(0);
    expect(conductor.output()).toContain('4 tasks: 4 done');
    for (const id of ['T01', 'T02', 'T03', 'T04']) expect([id, status(p, id).status, status(p, id).attempt]).toEqual([id, 'done', 1]);
    expect(merges(p)).toHaveLength(4);
    // Both workers lived through it (neither exited) and took work after the restart too.
    for (const w of workers) expect(w.child.exitCode).toBeNull();
    expect(workers.flatMap((w) => w.lines.filter((l) => /^worker: took T0\d attempt 1 /.test(l))).length).toBeGreaterThanOrEqual(4);
  }, 300_000);

  it.runIf(debianPg)('a provider cap of 1 holds across two workers of concurrency 2: never two sessions of that provider at once', async () => {
    const node = node22();
    const pg = await startDebianPostgres();
    onTestFinished(() => pg.close());
    // Each session lasts a second, so two at once would overlap plainly.
    const p = project({ tasks: ['T01', 'T02', 'T03', 'T04'], hold: 1, executor: { queue: pg.url, remote: '{bare}', caps: { scripted: 1 } } });
    release(p, 'all'); // no agent waits for the test: only the cap keeps them apart
    // Workers first, as they run in a deployment (long before any coordinator), then the coordinator publishes its cap.
    const workers = [worker(node, pg.url, 'a', { concurrency: 2 }), worker(node, pg.url, 'b', { concurrency: 2 })];
    await Promise.all(workers.map((w) => w.line(/^worker: w-[ab] on .* takes attempts/)));
    const conductor = coordinator(p, ['implement'], node);
    expect(await conductor.exit(180_000), `${conductor.output()}\n${workers.map((w) => w.output()).join('\n')}`).toBe(0);
    expect(conductor.output()).toContain('4 tasks: 4 done');
    const sessions = readSessions(p);
    expect(sessions.map((s) => s.task).sort()).toEqual(['T01', 'T02', 'T03', 'T04']);
    const ordered = [...sessions].sort((x, y) => x.start - y.start);
    for (let i = 1; i < ordered.length; i++) expect(ordered[i]!.start, `${ordered[i]!.task} started before ${ordered[i - 1]!.task} ended`).toBeGreaterThanOrEqual(ordered[i - 1]!.end);
  }, 300_000);

  it.runIf(debianPg)('a whole run (plan, backlog, implement, review, merge) against Debian\'s PostgreSQL, the remote served by git daemon, two workers', async () => {
    const node = node22();
    const pg = await startDebianPostgres();
    onTestFinished(() => pg.close());
    const p = project({ tasks: ['T01'] });
    const daemon = await serveGit(p.bare);
    onTestFinished(() => daemon.close());
    writeFileSync(join(p.repo, 'feature.md'), '# Rate limiting\n\nLimit each client to 10 requests a second.\n');
    release(p, 'all');
    const conductor = coordinator(p, ['run', 'feature.md', '--yes', '--queue', pg.url, '--remote', daemon.url], node);
    const workers = [worker(node, pg.url, 'a'), worker(node, pg.url, 'b')];
    expect(await conductor.exit(240_000), `${conductor.output()}\n${workers.map((w) => w.output()).join('\n')}`).toBe(0);
    const backlog = readFileSync(join(p.repo, 'tasks', 'BACKLOG.yaml'), 'utf8');
    const ids = [...backlog.matchAll(/- id: (T\d+)/g)].map((m) => m[1]!);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      const record = status(p, id);
      expect([id, record.status, record.attempt, ['w-a', 'w-b'].includes(record.worker?.id ?? '')]).toEqual([id, 'done', 1, true]);
    }
    expect(merges(p)).toHaveLength(ids.length);
    // The coordinator pushed the integration ref to the daemon's repository; the workers pushed one result each.
    expect(remoteRefs(p, 'refs/conductor').filter(([ref]) => ref.endsWith('/integration'))).toHaveLength(1);
    expect(remoteRefs(p, 'refs/conductor').filter(([ref]) => ref.includes('/attempts/'))).toHaveLength(ids.length);
  }, 300_000);
});

function readStarts(p: Project): string[] {
  const log = join(p.signals, 'sessions.log');
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('start ')) : [];
}

function readSessions(p: Project): { task: string; start: number; end: number }[] {
  const lines = readFileSync(join(p.signals, 'sessions.log'), 'utf8').split('\n').filter(Boolean).map((l) => l.split(' '));
  const starts = lines.filter(([kind]) => kind === 'start');
  return starts.map(([, task, tag, at]) => {
    const end = lines.find(([kind, t, g]) => kind === 'end' && t === task && g === tag);
    return { task: task!, start: Number(BigInt(at!) / 1000n), end: end ? Number(BigInt(end[3]!) / 1000n) : Number.POSITIVE_INFINITY };
  });
}
