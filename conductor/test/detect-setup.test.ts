// Which preparation a worktree gets, per ecosystem (#16 point 1), and the
// parts of the node_modules clone that need no package manager: workspace
// discovery, the fingerprint, absolute workspace links pointed into the worktree.
import { mkdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectSetup } from '../src/prepare/detect-setup.js';
import { cloneTree, dependencyFingerprint, ownPackageNames, relinkInto, workspaceDirs } from '../src/prepare/node-modules.js';
import { testdir } from './helpers/dirs.js';

const plan = (files: Record<string, string>) => {
  const found = detectSetup(testdir(files));
  return found && [found.ecosystem, found.lockfile, found.install, found.nodeModules];
};

describe('detectSetup', () => {
  it('names one offline-first install per ecosystem, the JavaScript lockfiles first, and nothing for an unknown project', () => {
    expect(plan({ 'package.json': '{}', 'package-lock.json': '{}' })).toEqual(['npm', 'package-lock.json', [['npm', 'install', '--prefer-offline', '--no-audit', '--no-fund']], true]);
    expect(plan({ 'package.json': '{}', 'pnpm-lock.yaml': '' })).toEqual(['pnpm', 'pnpm-lock.yaml', [['pnpm', 'install', '--prefer-offline']], true]);
    expect(plan({ 'package.json': '{}', 'yarn.lock': '' })).toEqual(['yarn', 'yarn.lock', [['yarn', 'install']], true]);
    expect(plan({ 'package.json': '{}', 'bun.lock': '' })).toEqual(['bun', 'bun.lock', [['bun', 'install']], true]);
    expect(plan({ 'pyproject.toml': '', 'uv.lock': '' })).toEqual(['uv', 'uv.lock', [['uv', 'sync', '--offline']], false]);
    expect(plan({ 'pyproject.toml': '', 'poetry.lock': '' })).toEqual(['poetry', 'poetry.lock', [['poetry', 'install', '--no-interaction']], false]);
    expect(plan({ 'pyproject.toml': '' })).toEqual(['pip', undefined, [], false]);
    expect(plan({ 'Cargo.toml': '' })).toEqual(['cargo', 'Cargo.lock', [['cargo', 'fetch']], false]);
    expect(plan({ 'go.mod': '' })).toEqual(['go', 'go.sum', [['go', 'mod', 'download']], false]);
    expect(plan({ Makefile: 'setup:\n\ttrue\n' })).toEqual(['make', undefined, [['make', 'setup']], false]);
    expect(plan({ Makefile: 'test:\n\ttrue\n' })).toBeUndefined();
    expect(plan({ 'package.json': '{}' })).toBeUndefined(); // no lockfile: nothing installed to clone, nothing pinned to install
  });
});

describe('the node_modules clone', () => {
  const mono = () =>
    testdir({
      'package.json': JSON.stringify({ name: 'mono', workspaces: ['packages/*', 'tools/cli'] }),
      'package-lock.json': '{}',
      'packages/a/package.json': JSON.stringify({ name: '@mono/a' }),
      'packages/b/package.json': JSON.stringify({ name: '@mono/b' }),
      'packages/notes/README.md': 'not a package',
      'tools/cli/package.json': JSON.stringify({ name: 'mono-cli' }),
    });

  it('finds the workspaces (literal and dir/* patterns) and their names; the fingerprint changes with any manifest', async () => {
    const dir = mono();
    expect(await workspaceDirs(dir)).toEqual(['packages/a', 'packages/b', 'tools/cli']);
    expect(await ownPackageNames(dir)).toEqual(['@mono/a', '@mono/b', 'mono-cli']);
    const before = await dependencyFingerprint(dir, 'package-lock.json');
    expect(await dependencyFingerprint(dir, 'package-lock.json')).toBe(before);
    writeFileSync(join(dir, 'packages', 'b', 'package.json'), JSON.stringify({ name: '@mono/b', dependencies: { x: '1' } }));
    expect(await dependencyFingerprint(dir, 'package-lock.json')).not.toBe(before);
  });

  it('keeps relative workspace links and points absolute ones into the worktree', async () => {
    const user = mono();
    const nm = join(user, 'node_modules');
    mkdirSync(join(nm, '@mono'), { recursive: true });
    mkdirSync(join(nm, '.bin'));
    symlinkSync('../../packages/a', join(nm, '@mono', 'a'));
    symlinkSync(join(user, 'packages', 'b'), join(nm, '@mono', 'b'));
    symlinkSync(join(user, 'tools', 'cli'), join(nm, 'mono-cli'));
    symlinkSync(join(user, 'tools', 'cli', 'bin.js'), join(nm, '.bin', 'mono'));
    symlinkSync('/usr/bin/env', join(nm, 'elsewhere'));
    const worktree = testdir();
    expect(['reflink', 'hardlink']).toContain(await cloneTree(nm, join(worktree, 'node_modules')));
    expect(await relinkInto(join(worktree, 'node_modules'), user, worktree)).toBe(3);
    const link = (...path: string[]) => readlinkSync(join(worktree, 'node_modules', ...path));
    expect([link('@mono', 'a'), link('@mono', 'b'), link('mono-cli'), link('.bin', 'mono'), link('elsewhere')]).toEqual(['../../packages/a', join(worktree, 'packages', 'b'), join(worktree, 'tools', 'cli'), join(worktree, 'tools', 'cli', 'bin.js'), '/usr/bin/env']);
    expect(readlinkSync(join(nm, '@mono', 'b'))).toBe(join(user, 'packages', 'b')); // the user's own links stay
  });
});
