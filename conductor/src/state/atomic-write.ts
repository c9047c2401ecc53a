// Every state file conductor writes goes through here: temp file, fsync,
// rename, then fsync of the directory, so a crash leaves the old or the new
// content and never a torn file.
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { ConductorError, messageOf } from '../errors.js';

export async function writeFileAtomically(path: string, data: string | Buffer): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, data, { fsync: true });
    await fsyncDirectory(dirname(path));
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
