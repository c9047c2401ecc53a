// Every state file conductor writes goes through here: temp file, fsync,
// rename, then fsync of the directory, so a crash leaves the old or the new
// content and never a torn file. Views derived from other files on every
// change (tasks/BACKLOG.md, a worker's context file) skip the two fsyncs:
// still never torn (the rename is atomic), and rebuilt on the next change.
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { ConductorError, messageOf } from '../errors.js';

export async function writeFileAtomically(path: string, data: string | Buffer, options: { derived?: boolean } = {}): Promise<void> {
  const durable = options.derived !== true;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, data, { fsync: durable });
    if (durable) await fsyncDirectory(dirname(path));
  } catch (error) {
    throw new ConductorError('IO', `cannot write ${path}: ${messageOf(error)}`, { cause: error, hint: 'the previous content is unchanged; check free disk space and permissions' });
  }
}

export async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  await writeFileAtomically(path, `${JSON.stringify(value, null, 2)}\n`);
}

async function fsyncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some filesystems refuse to fsync a directory; the rename itself is still atomic.
  } finally {
    await handle?.close();
  }
}
