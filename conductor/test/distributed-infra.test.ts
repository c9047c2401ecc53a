// The real components the distributed executor's fault tests stand on, each proven on its own: Debian's
// PostgreSQL (start, keep data across a restart, stop), a bare repository served by `git daemon` (fetch and
// push over git://), and network namespaces as separate hosts (reach the host over a veth; a cut link
// partitions one namespace and not the other; restore heals it).
import { execFileSync, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { POSTGRESQL, postgresBinDir, startDebianPostgres } from './helpers/debian-postgres.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { initBare, serveGit } from './helpers/git-daemon.js';
import { makeNamespaces, NETNS, netnsAvailable, type Namespace, type Netns } from './helpers/netns.js';
import { canRun } from './helpers/system-programs.js';

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd, encoding: 'utf8', stdio: 'pipe' }).trim();

/** Runs a command inside a namespace to its end. */
function runIn(netns: Netns, ns: Namespace, command: string, args: string[], options: SpawnOptions = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = netns.run(ns, command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout: stdout.trim(), stderr })));
}

describe('Debian PostgreSQL (helpers/debian-postgres.ts)', () => {
  it.runIf(canRun(POSTGRESQL, Boolean(postgresBinDir())))('starts on 127.0.0.1 with trust auth, keeps its data across a restart, refuses connections once stopped, and close removes it', async () => {
    const pg = await startDebianPostgres();
    onTestFinished(() => pg.close());
    expect(pg.url).toBe(`postgres://postgres@127.0.0.1:${pg.port}/postgres`);
    expect(pg.psql('create table kept (n int); insert into kept values (7); select n from kept')).toBe('7');
    expect(pg.psql('show listen_addresses')).toBe('127.0.0.1');

    await pg.restart();
    expect(pg.psql('select n from kept')).toBe('7');

    pg.stop();
    expect(() => pg.psql('select 1')).toThrow(/Connection refused|could not connect/);
    await pg.start();
    expect(pg.psql('select count(*) from kept')).toBe('1');

    pg.close();
    expect(existsSync(pg.dataDir)).toBe(false);
  });
});

describe('git daemon (helpers/git-daemon.ts)', () => {
  it('serves a bare repository over git:// for fetch and for push, new refs included', async () => {
    const bare = initBare(join(testdir(), 'x.git'));
    const daemon = await serveGit(bare);
    onTestFinished(() => daemon.close());
    expect(daemon.url).toBe(`git://127.0.0.1:${daemon.port}/x.git`);

    const repo = gitdir({ 'a.txt': 'a\n' });
    git(repo, 'push', '-q', daemon.url, 'main');
    const head = git(repo, 'rev-parse', 'HEAD');
    git(repo, 'push', '-q', daemon.url, `HEAD:refs/conductor/r1/attempts/T01/1-abc`);
    expect(git(repo, 'ls-remote', daemon.url)).toBe(`${head}\tHEAD\n${head}\trefs/conductor/r1/attempts/T01/1-abc\n${head}\trefs/heads/main`);

    const clone = join(testdir(), 'clone');
    git(repo, 'clone', '-q', '--bare', '--filter=blob:none', daemon.url, clone);
    expect(git(clone, 'rev-parse', 'main')).toBe(head);

    await daemon.close();
    expect(() => git(repo, 'ls-remote', daemon.url)).toThrow(/unable to connect|Connection refused/);
  });
});

describe('network namespaces (helpers/netns.ts)', () => {
  it.runIf(canRun(NETNS, netnsAvailable()))('two namespaces reach git daemon on the host over their veths, at the host end and at the service address; cutting one link partitions that namespace only, restore heals it', async () => {
    const netns = makeNamespaces(2);
    onTestFinished(() => netns.close());
    const [a, b] = netns.namespaces as [Namespace, Namespace];
    expect(a.address).not.toBe(b.address);

    const daemon = await serveGit(initBare(join(testdir(), 'x.git')), { listen: '0.0.0.0' });
    onTestFinished(() => daemon.close());
    const repo = gitdir({ 'a.txt': 'a\n' });
    git(repo, 'push', '-q', daemon.url, 'main');
    const head = git(repo, 'rev-parse', 'HEAD');

    const lsRemote = (ns: Namespace, host = netns.serviceAddress) => runIn(netns, ns, 'timeout', ['3', 'git', 'ls-remote', daemon.urlAt(host), 'refs/heads/main']);
    expect(await lsRemote(a, a.hostAddress)).toMatchObject({ code: 0, stdout: `${head}\trefs/heads/main` });
    expect(git(repo, 'ls-remote', daemon.urlAt(netns.serviceAddress), 'refs/heads/main')).toBe(`${head}\trefs/heads/main`);
    expect(await lsRemote(a)).toMatchObject({ code: 0, stdout: `${head}\trefs/heads/main` });
    expect(await lsRemote(b)).toMatchObject({ code: 0, stdout: `${head}\trefs/heads/main` });

    netns.cut(a);
    expect((await lsRemote(a)).code).toBe(124); // timeout(1): the connection never completes
    expect(await lsRemote(b)).toMatchObject({ code: 0, stdout: `${head}\trefs/heads/main` });

    expect(git(repo, 'ls-remote', daemon.urlAt(netns.serviceAddress), 'refs/heads/main')).toBe(`${head}\trefs/heads/main`); // the host still reaches it

    netns.restore(a);
    expect(await lsRemote(a)).toMatchObject({ code: 0, stdout: `${head}\trefs/heads/main` });
  });

  it.runIf(canRun(NETNS, netnsAvailable()) && canRun(POSTGRESQL, Boolean(postgresBinDir())))('a namespace reaches Debian\'s PostgreSQL listening on every address, at the service address', async () => {
    const netns = makeNamespaces(1);
    onTestFinished(() => netns.close());
    const pg = await startDebianPostgres({ listen: '*' });
    onTestFinished(() => pg.close());
    const [ns] = netns.namespaces as [Namespace];
    const psql = await runIn(netns, ns, join(pg.binDir, 'psql'), ['-X', '-A', '-t', '-d', pg.urlAt(netns.serviceAddress), '-c', 'select 40 + 2']);
    expect(psql).toMatchObject({ code: 0, stdout: '42' });
  });
});
