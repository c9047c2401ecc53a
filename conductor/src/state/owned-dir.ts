// Directories conductor owns inside a user's repository (.conductor/,
// worktrees/) ignore themselves with a `*` .gitignore, so they never show up
// in `git status` even before `conductor init` added them to .gitignore.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function ensureOwnedDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const ignore = join(dir, '.gitignore');
  if (!existsSync(ignore)) await writeFile(ignore, '# Created by conductor: nothing in here belongs in git.\n*\n');
}
