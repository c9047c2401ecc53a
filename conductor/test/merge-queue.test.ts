import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MergeQueue } from '../src/git/merge-queue.js';
import { WorktreeManager } from '../src/git/worktrees.js';
import { gitdir } from './helpers/dirs.js';

const sh = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();

async function setup() {
  const repo = gitdir({ 'shared.ts': 'line 1\n', '.gitignore': 'worktrees/\n' });
  const manager = new WorktreeManager(repo);
  const integration = await manager.ensureIntegration('f', 'HEAD');
  const change = async (id: string, file: string, content: string) => {
    const wt = await manager.ensureTask(id, 'conductor/f');
    writeFileSync(join(wt.path, file), content);
    sh(wt.path, 'add', '-A');
    sh(wt.path, 'commit', '-q', '-m', `${id} work`);
    return wt;
  };
  return { repo, integration, change, queue: new MergeQueue(integration.path) };
}

describe('merge queue', () => {
  it('merges with --no-ff, one at a time', async () => {
    const { integration, change, queue } = await setup();
    await change('T01', 'a.ts', 'a\n');
    await change('T02', 'b.ts', 'b\n');
    const [one, two] = await Promise.all([queue.merge('task/T01', 'Merge T01'), queue.merge('task/T02', 'Merge T02')]);
    expect(one).toMatchObject({ ok: true, alreadyMerged: false });
    expect(two).toMatchObject({ ok: true, alreadyMerged: false });
    expect(sh(integration.path, 'log', '--format=%s|%p', '-2').split('\n').map((l) => [l.split('|')[0], l.split('|')[1]!.split(' ').length])).toEqual([
      ['Merge T02', 2],
      ['Merge T01', 2],
    ]);
  });

  it('aborts a conflict cleanly and names the files', async () => {
    const { integration, change, queue } = await setup();
    await change('T01', 'shared.ts', 'from T01\n');
    await change('T02', 'shared.ts', 'from T02\n');
    expect(await queue.merge('task/T01', 'Merge T01')).toMatchObject({ ok: true });
    const head = sh(integration.path, 'rev-parse', 'HEAD');
    const conflict = await queue.merge('task/T02', 'Merge T02');
    expect(conflict).toMatchObject({ ok: false, conflicts: ['shared.ts'] });
    expect(sh(integration.path, 'rev-parse', 'HEAD')).toBe(head);
    expect(sh(integration.path, 'status', '--porcelain')).toBe('');
    expect(readFileSync(join(integration.path, 'shared.ts'), 'utf8')).toBe('from T01\n');
  });

  it('aborts a merge a crash left half-done, then merges again', async () => {
    const { integration, change, queue } = await setup();
    await change('T01', 'shared.ts', 'from T01\n');
    await change('T02', 'c.ts', 'c\n');
    sh(integration.path, 'commit', '-q', '--allow-empty', '-m', 'base moved');
    writeFileSync(join(integration.path, 'shared.ts'), 'in the integration\n');
    sh(integration.path, 'commit', '-q', '-am', 'conflicting base');
    spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'merge', '--no-ff', 'task/T01'], { cwd: integration.path }); // conflicts, left in progress
    expect(await queue.abortHalfDoneMerge()).toBe(true);
    expect(await queue.abortHalfDoneMerge()).toBe(false);
    spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'merge', '--no-ff', 'task/T01'], { cwd: integration.path });
    expect(await queue.merge('task/T02', 'Merge T02')).toMatchObject({ ok: true, alreadyMerged: false });
    expect(readFileSync(join(integration.path, 'c.ts'), 'utf8')).toBe('c\n');
  });

  it('never merges the same branch twice', async () => {
    const { integration, change, queue } = await setup();
    await change('T01', 'a.ts', 'a\n');
    const first = await queue.merge('task/T01', 'Merge T01');
    const again = await queue.merge('task/T01', 'Merge T01');
    expect(again).toEqual({ ok: true, commit: first.ok ? first.commit : '', alreadyMerged: true });
    expect(sh(integration.path, 'rev-list', '--count', '--merges', 'HEAD')).toBe('1');
  });

  it('undoes a merge its check fails, and reports git refusing to start as a failure that names why', async () => {
    const { integration, change, queue } = await setup();
    await change('T01', 'a.ts', 'a\n');
    const head = sh(integration.path, 'rev-parse', 'HEAD');
    const checked = await queue.merge('task/T01', 'Merge T01', () => Promise.resolve({ detail: 'limit failed', evidence: ['too big'] }));
    expect(checked).toEqual({ ok: false, kind: 'check', conflicts: [], detail: 'limit failed', evidence: ['too big'] });
    expect(sh(integration.path, 'rev-parse', 'HEAD')).toBe(head);
    expect(sh(integration.path, 'status', '--porcelain')).toBe('');
    writeFileSync(join(integration.path, 'a.ts'), 'someone else\'s\n'); // untracked, in the way of the merge
    const refused = await queue.merge('task/T01', 'Merge T01');
    expect(refused).toMatchObject({ ok: false, kind: 'conflict', detail: 'error: The following untracked working tree files would be overwritten by merge:' });
    expect(sh(integration.path, 'rev-parse', 'HEAD')).toBe(head);
    expect(readFileSync(join(integration.path, 'a.ts'), 'utf8')).toBe('someone else\'s\n');
  });
});
