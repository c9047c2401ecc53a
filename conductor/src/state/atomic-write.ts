// Every state file conductor writes goes through here: temp file, fsync,
// rename, then fsync of the directory, so a crash leaves the old or the new
// content and never a torn file. Views derived from other files on every
// change (tasks/BACKLOG.md, a worker's context file) skip the two fsyncs:
// still never torn (the rename is atomic), and rebuilt on the next change.
//
// The write is synchronous inside: these are small files, and write-file-atomic's
// async path takes ten thread-pool round trips (realpath, stat, open, write,
// fsync, close, chown, chmod, rename, unlink) where the sync one costs a third
// of the time: six of them per task transition were a measurable part of
// conductor's per-task overhead. Nothing else runs in between, so two writes of
// one file can never interleave either.
import { closeSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { ioFailure } from '../io-failure.js';
import { noteOwnWrite } from './own-writes.js';

// async so a failure reaches callers as a rejection, as before.
export async function writeFileAtomically(path: string, data: string | Buffer, options: { derived?: boolean } = {}): Promise<void> {
  const durable = options.derived !== true;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic.sync(path, data, { fsync: durable });
    noteOwnWrite(path); // conductor's, not a worker's (the boundary check)
    if (durable) fsyncDirectory(dirname(path));
  } catch (error) {
    throw ioFailure('write', path, error);
  }
}

export async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  await writeFileAtomically(path, `${JSON.stringify(value, null, 2)}\n`);
}

function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse to fsync a directory; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
