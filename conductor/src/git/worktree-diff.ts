// The change an agent left in a worktree (without conductor's context copy),
// as one binary-safe patch, read through a throwaway index so the worktree's
// own index is not touched.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git } from './git.js';
import { CONTEXT_COPY } from './commit-work.js';

export async function worktreeDiff(dir: string): Promise<string> {
  const scratch = await mkdtemp(join(tmpdir(), 'conductor-index-'));
  try {
    const g = git(dir, { GIT_INDEX_FILE: join(scratch, 'index') });
    await g.raw(['read-tree', 'HEAD']);
    await g.raw(['add', '-A', '--', '.', `:(exclude)${CONTEXT_COPY}`]);
    return await g.raw(['diff', '--cached', '--binary', 'HEAD']);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export async function applyPatch(dir: string, patch: string): Promise<void> {
  if (patch.trim() === '') return;
  const scratch = await mkdtemp(join(tmpdir(), 'conductor-patch-'));
  try {
    const file = join(scratch, 'change.patch');
    await writeFile(file, patch);
    await git(dir).raw(['apply', '--binary', '--whitespace=nowarn', file]);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
