// node_modules for a task's worktree without an install: while the lockfile
// and every manifest equal the user's checkout, the user's already-installed
// trees (the root's and each workspace's) are cloned — copy-on-write where the
// filesystem can (`cp --reflink=always`), else hard links (`cp -al`): only
// directories are new, so it costs a fraction of an install. Workspace links
// must then lead into the worktree, not back to the user's packages: npm's
// relative links (`../../packages/a`) already do; absolute ones are rewritten.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { lstat, readdir, readlink, rm, stat, symlink, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { execa } from 'execa';

export const NODE_MODULES = 'node_modules';

interface Manifest {
  name?: string;
  exports?: unknown;
  workspaces?: string[] | { packages?: string[] };
}

function readManifest(path: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** The workspace directories (relative) the root package.json of `dir` names: literal paths and `dir/*` patterns. */
export async function workspaceDirs(dir: string): Promise<string[]> {
  const declared = readManifest(join(dir, 'package.json'))?.workspaces;
  const patterns = Array.isArray(declared) ? declared : (declared?.packages ?? []);
  const found: string[] = [];
  for (const pattern of patterns) {
    const clean = pattern.replace(/^\.\//, '').replace(/\/+$/, '');
    const star = /^(.*)\/\*{1,2}$/.exec(clean);
    if (!star) {
      if (existsSync(join(dir, clean, 'package.json'))) found.push(clean);
      continue;
    }
    const parent = star[1]!;
    const entries = await readdir(join(dir, parent), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) if (entry.isDirectory() && existsSync(join(dir, parent, entry.name, 'package.json'))) found.push(join(parent, entry.name));
  }
  return [...new Set(found)].sort();
}

/** The package names the worktree must resolve to itself: every workspace's, and the project's own when it can self-reference (`exports`). */
export async function ownPackageNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  const root = readManifest(join(dir, 'package.json'));
  if (root?.name && root.exports !== undefined) names.push(root.name);
  for (const ws of await workspaceDirs(dir)) {
    const name = readManifest(join(dir, ws, 'package.json'))?.name;
    if (name) names.push(name);
  }
  return names;
}

/** What decides whether installed dependencies fit: the lockfile and every manifest (root and workspaces), hashed. */
export async function dependencyFingerprint(dir: string, lockfile: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [lockfile, 'package.json', ...(await workspaceDirs(dir)).map((ws) => join(ws, 'package.json'))]) {
    hash.update(`${file}\0`);
    hash.update(existsSync(join(dir, file)) ? readFileSync(join(dir, file)) : '(none)');
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** The node_modules directories of `dir` (relative): the root's and each workspace's that exist. */
export async function nodeModulesDirs(dir: string): Promise<string[]> {
  const candidates = [NODE_MODULES, ...(await workspaceDirs(dir)).map((ws) => join(ws, NODE_MODULES))];
  return candidates.filter((candidate) => existsSync(join(dir, candidate)));
}

/**
 * Clone `from` to `to` (which must not exist): copy-on-write when the filesystem can, else hard links (unless
 * `hardLinks` is false: a sandboxed worker must not reach the user's files through a shared inode), else a copy.
 */
export type CloneHow = 'reflink' | 'hardlink' | 'copy';

export async function cloneTree(from: string, to: string, hardLinks = true): Promise<CloneHow> {
  if (await canReflink(from, to)) {
    if ((await execa('cp', ['-a', '--reflink=always', from, to], { reject: false })).exitCode === 0) return 'reflink';
    await rm(to, { recursive: true, force: true });
  }
  if (hardLinks && (await execa('cp', ['-al', from, to], { reject: false })).exitCode === 0) return 'hardlink';
  await rm(to, { recursive: true, force: true });
  await execa('cp', ['-a', from, to]);
  return 'copy';
}

/**
 * Can one file of `from` be cloned copy-on-write next to `to`? Asked first because `cp --reflink=always` on a
 * filesystem that cannot (ext4) fails file by file through the whole tree, slower than copying it.
 */
async function canReflink(from: string, to: string): Promise<boolean> {
  // Asked once per pair of filesystems (the user's tree's, the worktree's) in this process.
  const key = `${(await stat(from)).dev}:${(await stat(dirname(to))).dev}`;
  const known = reflinkAnswers.get(key);
  if (known !== undefined) return known;
  const answer = await probeReflink(from, to);
  reflinkAnswers.set(key, answer);
  return answer;
}

const reflinkAnswers = new Map<string, boolean>();

async function probeReflink(from: string, to: string): Promise<boolean> {
  const file = await firstFile(from, 3);
  if (!file) return false;
  const probe = `${to}.reflink-probe`;
  const ok = (await execa('cp', ['--reflink=always', file, probe], { reject: false })).exitCode === 0;
  await rm(probe, { force: true });
  return ok;
}

async function firstFile(dir: string, depth: number): Promise<string | undefined> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const file = entries.find((e) => e.isFile());
  if (file) return join(dir, file.name);
  if (depth === 0) return undefined;
  for (const entry of entries.filter((e) => e.isDirectory())) {
    const found = await firstFile(join(dir, entry.name), depth - 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Links in a cloned node_modules (packages, `@scope/` packages, `.bin/`) that point into the user's checkout by
 * an absolute path now point to the same place in the worktree. Returns how many were rewritten.
 */
export async function relinkInto(nodeModules: string, userRoot: string, worktree: string): Promise<number> {
  let rewritten = 0;
  const visit = async (dir: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        const target = await readlink(path);
        if (isAbsolute(target) && (target === userRoot || target.startsWith(`${userRoot}${sep}`))) {
          await unlink(path);
          await symlink(join(worktree, relative(userRoot, target)), path);
          rewritten++;
        }
      } else if (entry.isDirectory() && depth === 0 && (entry.name.startsWith('@') || entry.name === '.bin')) {
        await visit(path, 1);
      }
    }
  };
  if ((await lstat(nodeModules).catch(() => undefined))?.isDirectory()) await visit(nodeModules, 0);
  return rewritten;
}
