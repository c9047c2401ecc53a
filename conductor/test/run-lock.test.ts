import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { acquireRunLock, processStartTime } from '../src/state/run-lock.js';
import { exitCodeOf } from '../src/errors.js';
import { testdir } from './helpers/dirs.js';

const HOLDER = fileURLToPath(new URL('./fixtures/hold-lock.mjs', import.meta.url));

function startHolder(dir: string) {
  const child = execa(process.execPath, [HOLDER, dir], { stdin: 'ignore', reject: false });
  const ready = new Promise<string>((resolve) => child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
  return { child, ready };
}

/** A holder that took the lock in `dir` and was then killed with SIGKILL: its lock stays behind. Its pid. */
async function killedHolder(dir: string): Promise<number> {
  const holder = startHolder(dir);
  await holder.ready;
  holder.child.kill('SIGKILL');
  await holder.child;
  return holder.child.pid!;
}

describe('run lock', () => {
  it('lets one conductor in and refuses a second with exit code 3, naming the holder', async () => {
    const dir = join(testdir(), '.conductor');
    const holder = startHolder(dir);
    try {
      expect(await holder.ready).toBe(`locked ${holder.child.pid}`);
      const error = await acquireRunLock(dir, 'conductor resume').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'LOCKED' });
      expect((error as Error).message).toMatch(new RegExp(`^another conductor \\(pid ${holder.child.pid}, "conductor run", since \\S+\\) holds this repository's lock$`));
      expect(exitCodeOf(error)).toBe(3);
    } finally {
      holder.child.kill('SIGTERM');
      await holder.child;
    }
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  });

  it('is released by its holder and can be taken again', async () => {
    const dir = join(testdir(), '.conductor');
    const first = await acquireRunLock(dir, 'a');
    await first.release();
    const second = await acquireRunLock(dir, 'b');
    expect(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8'))).toMatchObject({ pid: process.pid, command: 'b' });
    await second.release();
  });

  it('takes over a lock whose holder was killed', async () => {
    const dir = join(testdir(), '.conductor');
    await killedHolder(dir);
    expect(existsSync(join(dir, 'lock'))).toBe(true);
    const lock = await acquireRunLock(dir, 'conductor resume');
    expect(lock.holder.pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over at once when the conductor killed was itself mid-takeover (its takeover mutex left behind)', async () => {
    const dir = join(testdir(), '.conductor');
    await killedHolder(dir);
    // A second conductor, killed between taking the takeover mutex and letting it go, left both files.
    const taker = await killedHolder(join(testdir(), '.conductor'));
    writeFileSync(join(dir, 'lock.takeover'), `${JSON.stringify({ pid: taker, hostname: hostname(), startedAt: new Date().toISOString(), command: 'conductor resume' })}\n`);
    const lock = await acquireRunLock(dir, 'conductor resume');
    expect(lock.holder.pid).toBe(process.pid);
    expect(existsSync(join(dir, 'lock.takeover'))).toBe(false);
    await lock.release();
  });

  it('takes over when the recorded pid now belongs to another process', async () => {
    const dir = join(testdir(), '.conductor');
    mkdirSync(dir, { recursive: true });
    // Our own live pid, but with a start time that is not ours: the pid was reused.
    writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: process.pid, hostname: hostname(), processStart: '1', startedAt: '2020-01-01T00:00:00.000Z', command: 'old' }));
    expect(processStartTime(process.pid)).not.toBe('1');
    const lock = await acquireRunLock(dir, 'new');
    expect(lock.holder.command).toBe('new');
    await lock.release();
  });

  it('does not take over from a live holder on record', async () => {
    const dir = join(testdir(), '.conductor');
    mkdirSync(dir, { recursive: true });
    const live = { pid: process.pid, hostname: hostname(), processStart: processStartTime(process.pid), startedAt: '2026-01-01T00:00:00.000Z', command: 'conductor run' };
    writeFileSync(join(dir, 'lock'), JSON.stringify(live));
    await expect(acquireRunLock(dir, 'x')).rejects.toMatchObject({ code: 'LOCKED' });
    expect(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8'))).toEqual(live);
  });

  it('lets exactly one of eight racing conductors win', async () => {
    const dir = join(testdir(), '.conductor');
    const racers = Array.from({ length: 8 }, () => startHolder(dir));
    const outcomes = await Promise.all(racers.map((r) => r.ready));
    try {
      expect(outcomes.filter((o) => o.startsWith('locked'))).toHaveLength(1);
      expect(outcomes.filter((o) => o.startsWith('refused LOCKED'))).toHaveLength(7);
    } finally {
      for (const r of racers) r.child.kill('SIGTERM');
      await Promise.all(racers.map((r) => r.child));
    }
  });

  it('never removes a lock that is not its own', async () => {
    const dir = join(testdir(), '.conductor');
    const lock = await acquireRunLock(dir, 'a');
    const other = { pid: 1, hostname: hostname(), startedAt: 'later', command: 'other' };
    writeFileSync(join(dir, 'lock'), JSON.stringify(other));
    await lock.release();
    expect(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8'))).toEqual(other);
  });
});
