// Worktrees conductor owns: `_integration` on `conductor/<feature>` and `<id>`
// on `task/<id>`, under the directory worktree-location.ts names (a sibling of
// the checkout unless configured). A worktree an earlier run left in the old
// place, `<repo>/worktrees/`, is moved to the new one (`git worktree move`)
// when its task goes on. Creation and removal are serialized per
// repository; `--no-track` always; a leftover branch with unmerged commits is
// reused, never reset; a registered worktree whose directory is gone is pruned
// (ours only); a directory that is not a registered worktree is moved aside and
// never used; work is saved to refs/conductor/salvage/… before any removal.
// The user's own checkout is never switched, reset or committed to.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { CONTEXT_COPY } from './commit-work.js';
import { git, headCommit, isContainedIn } from './git.js';
import { ConductorError, messageOf } from '../errors.js';
import { ensureOwnedDir } from '../state/owned-dir.js';
import { legacyWorktreesDir, worktreesDir } from './worktree-location.js';

export const INTEGRATION_DIR = '_integration';

/** Where a set of tasks works: the live backlog's names, or a factory build's own. */
export interface WorktreeNaming {
  integrationDir: string;
  integrationBranch(feature: string): string;
  taskDir(id: string): string;
  taskBranch(id: string): string;
}

export const LIVE_NAMING: WorktreeNaming = {
  integrationDir: INTEGRATION_DIR,
  integrationBranch: (feature) => `conductor/${feature}`,
  taskDir: (id) => id,
  taskBranch: (id) => `task/${id}`,
};

/** A factory build's names (`factory/<tag>`, `factory/<tag>-T01`): they never meet the live run's. */
export function factoryNaming(tag: string): WorktreeNaming {
  return {
    integrationDir: `_factory-${tag}`,
    integrationBranch: () => `factory/${tag}`,
    taskDir: (id) => `factory-${tag}-${id}`,
    taskBranch: (id) => `factory/${tag}-${id}`,
  };
}

export interface WorktreeEntry {
  path: string;
  head?: string;
  branch?: string;
  prunable: boolean;
}

export interface EnsuredWorktree {
  path: string;
  branch: string;
  /** True when an existing branch with unmerged work was reused as it was. */
  reused: boolean;
  /** The commit the branch started from (or its tip, when reused). */
  head: string;
  /** Directories found in the way and moved aside. */
  movedAside: string[];
}

export class WorktreeManager {
  readonly worktreesDir: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly repoRoot: string,
    readonly naming: WorktreeNaming = LIVE_NAMING,
    /** conductor.config.yaml `worktreeDir`, when set. */
    configuredDir?: string,
  ) {
    this.worktreesDir = worktreesDir(repoRoot, configuredDir);
  }

  /** One worktree operation at a time per repository (git's own locks race otherwise). */
  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private g() {
    return git(this.repoRoot);
  }

  async list(): Promise<WorktreeEntry[]> {
    const out = await this.g().raw(['worktree', 'list', '--porcelain']);
    const entries: WorktreeEntry[] = [];
    let current: WorktreeEntry | undefined;
    for (const line of out.split('\n')) {
      if (line.startsWith('worktree ')) {
        current = { path: resolve(line.slice('worktree '.length)), prunable: false };
        entries.push(current);
      } else if (current && line.startsWith('HEAD ')) current.head = line.slice(5);
      else if (current && line.startsWith('branch ')) current.branch = line.slice(7).replace(/^refs\/heads\//, '');
      else if (current && line.startsWith('prunable')) current.prunable = true;
    }
    return entries;
  }

  async ensureIntegration(feature: string, base: string): Promise<EnsuredWorktree> {
    return this.serialize(() => this.ensure(this.naming.integrationDir, this.naming.integrationBranch(feature), base, { reuseAlways: true }));
  }

  async ensureTask(id: string, fromRef: string): Promise<EnsuredWorktree> {
    return this.serialize(() => this.ensure(this.naming.taskDir(id), this.naming.taskBranch(id), fromRef, { reuseAlways: false }));
  }

  private async ensure(name: string, branch: string, fromRef: string, options: { reuseAlways: boolean }): Promise<EnsuredWorktree> {
    const path = join(this.worktreesDir, name);
    const movedAside: string[] = [];
    await ensureOwnedDir(this.worktreesDir);
    await this.moveFromLegacy(name, path);

    // The usual case costs two git calls: nothing at the path and no branch yet, which `worktree add -b` checks
    // itself (it refuses a path still registered for a directory that is gone). Anything else is looked at below.
    if (!options.reuseAlways && !existsSync(path)) {
      const start = await this.startCommit(fromRef);
      const added = await this.g().run(['worktree', 'add', '--no-track', '-b', branch, path, start]);
      if (added.exitCode === 0) return { path, branch, reused: false, head: start, movedAside };
    }
    await this.pruneOurMissing();

    let entries = await this.list();
    let registered = entries.find((entry) => entry.path === resolve(path));
    if (registered && existsSync(path) && !(await this.linkIntact(path))) {
      // Its .git link is gone (an agent's `rm -rf`), points at another repository (the user's) or is garbage: git
      // would fall through to the user's checkout here, or fail. Keep the files aside, the commits in a salvage
      // ref, and drop the registration.
      movedAside.push(await this.moveAside(path, name));
      if (registered.head) await this.saveRef(`${name}-unlinked`, registered.head);
      await this.pruneOurMissing();
      entries = await this.list();
      registered = undefined;
    }
    if (registered && registered.branch === branch && existsSync(path)) {
      if (registered.head !== undefined && /^0+$/.test(registered.head)) throw deletedBranch(branch);
      return { path, branch, reused: true, head: registered.head ?? (await this.revParse(branch)), movedAside };
    }
    if (registered) {
      // Ours, but on another branch or detached: an agent moved it. Keep its commits, then start over.
      await this.salvageAndRemove(path, registered.head, `${name}-moved`);
      entries = await this.list();
    }
    if (existsSync(path)) {
      const aside = await this.moveAside(path, name);
      movedAside.push(aside);
    }

    const start = await this.startCommit(fromRef);
    const tip = await this.revParse(branch).catch(() => undefined);
    const checkedOutElsewhere = entries.find((entry) => entry.branch === branch);
    if (checkedOutElsewhere) {
      throw new ConductorError('IO', `branch ${branch} is checked out in ${checkedOutElsewhere.path}`, { hint: 'remove that worktree or switch it to another branch' });
    }
    let reused = false;
    if (tip !== undefined) {
      const hasOwnWork = !(await this.isAncestor(tip, start));
      if (hasOwnWork || options.reuseAlways) reused = true;
      else await this.g().raw(['branch', '-D', branch]); // nothing of its own to lose
    }
    try {
      if (reused) await this.g().raw(['worktree', 'add', path, branch]);
      else await this.g().raw(['worktree', 'add', '--no-track', '-b', branch, path, start]);
    } catch (error) {
      throw new ConductorError('IO', `cannot create the worktree ${relative(this.repoRoot, path)}: ${messageOf(error).trim()}`, { cause: error });
    }
    return { path, branch, reused, head: reused ? tip! : start, movedAside };
  }

  /**
   * A worktree an earlier run kept at `<repo>/worktrees/<name>` (registered, its directory there, nothing at the
   * new path) moves to the new place with git's own `worktree move`, its work and branch as they were.
   */
  private async moveFromLegacy(name: string, path: string): Promise<void> {
    const legacy = join(legacyWorktreesDir(this.repoRoot), name);
    if (resolve(legacy) === resolve(path) || existsSync(path) || !existsSync(join(legacy, '.git'))) return;
    if (!(await this.list()).some((entry) => entry.path === resolve(legacy))) return;
    await this.g().raw(['worktree', 'move', legacy, path]);
  }

  /** Does `path` still open as a linked worktree of this repository (its own git directory, this common one)? */
  private async linkIntact(path: string): Promise<boolean> {
    if (!existsSync(join(path, '.git'))) return false;
    const answer = await git(path).run(['rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir']);
    if (answer.exitCode !== 0) return false;
    const [gitDir = '', commonDir = ''] = answer.stdout.trim().split('\n');
    const own = (await this.g().raw(['rev-parse', '--path-format=absolute', '--git-common-dir'])).trim();
    return gitDir !== commonDir && resolve(commonDir) === resolve(own);
  }

  /** Remove a task's worktree and branch, saving uncommitted or unmerged work first. Returns the salvage ref, if any. */
  async removeTask(id: string, mergedInto: string): Promise<string | undefined> {
    return this.serialize(async () => {
      const path = this.placeOf(this.naming.taskDir(id));
      const branch = this.naming.taskBranch(id);
      if (await this.removeMergedQuickly(path, branch, mergedInto)) return undefined;
      const entry = (await this.list()).find((e) => e.path === resolve(path));
      let salvaged: string | undefined;
      let branchChecked = false;
      if (entry && existsSync(path)) {
        salvaged = await this.salvage(path, id, mergedInto, entry.head);
        await this.g().raw(['worktree', 'remove', '--force', path]);
        // Nothing salvaged from a worktree on the branch: the branch's tip is merged, and it exists.
        branchChecked = !salvaged && entry.branch === branch;
      } else if (entry) {
        // Its directory is gone (removed by a worker or a human mid-run) but git still has it registered,
        // which would keep its branch "checked out" and undeletable.
        await this.g().raw(['worktree', 'prune']);
      }
      if (branchChecked) {
        await this.g().raw(['branch', '-D', branch]);
        return undefined;
      }
      const tip = await this.revParse(branch).catch(() => undefined);
      if (tip !== undefined) {
        if (!salvaged && !(await this.isAncestor(tip, mergedInto))) salvaged = await this.saveRef(id, tip);
        await this.g().raw(['branch', '-D', branch]);
      }
      return salvaged;
    });
  }

  /**
   * The usual removal, after a merge, in two git calls: a worktree on its own
   * branch, removed by `worktree remove` without --force (which refuses one
   * with any modified or untracked file), then `branch -d` where `mergedInto`
   * is checked out (which refuses a branch not merged into it). Either refusal,
   * or anything unusual on disk, leaves the rest to the careful path, which
   * saves what is not merged.
   */
  private async removeMergedQuickly(path: string, branch: string, mergedInto: string): Promise<boolean> {
    const integration = this.placeOf(this.naming.integrationDir);
    const entries = await this.list(); // one git call answers for both checkouts
    const on = (dir: string) => entries.find((entry) => entry.path === resolve(dir) && !entry.prunable)?.branch;
    if (on(path) !== branch || on(integration) !== mergedInto || !existsSync(path)) return false;
    await rm(join(path, CONTEXT_COPY), { force: true }); // conductor's own file, not work
    if ((await this.g().run(['worktree', 'remove', path])).exitCode !== 0) return false;
    return (await git(integration).run(['branch', '-d', branch])).exitCode === 0;
  }

  /** Remove the integration worktree (its branch stays), saving any uncommitted change first. Returns the salvage ref, if any. */
  async removeIntegration(feature: string): Promise<string | undefined> {
    return this.serialize(async () => {
      const path = this.placeOf(this.naming.integrationDir);
      const entry = (await this.list()).find((e) => e.path === resolve(path));
      if (!entry || !existsSync(path)) return undefined;
      const salvaged = await this.salvage(path, this.naming.integrationDir, this.naming.integrationBranch(feature));
      await this.g().raw(['worktree', 'remove', '--force', path]);
      return salvaged;
    });
  }

  /** Those of `ids` that still have a worktree (in the current or the legacy place) or a task branch. */
  async taskLeftovers(ids: readonly string[]): Promise<string[]> {
    const paths = new Set((await this.list()).map((entry) => entry.path));
    const branches = new Set((await this.g().raw(['for-each-ref', '--format=%(refname:short)', 'refs/heads/'])).split('\n').map((l) => l.trim()));
    const places = (id: string) => [this.worktreesDir, legacyWorktreesDir(this.repoRoot)].map((dir) => resolve(dir, this.naming.taskDir(id)));
    return ids.filter((id) => places(id).some((path) => paths.has(path)) || branches.has(this.naming.taskBranch(id)));
  }

  /** Where the worktree `name` is: in the current place, or in the legacy one when only that holds it. */
  placeOf(name: string): string {
    const path = join(this.worktreesDir, name);
    const legacy = join(legacyWorktreesDir(this.repoRoot), name);
    return !existsSync(path) && existsSync(join(legacy, '.git')) ? legacy : path;
  }

  /**
   * Save a worktree's state under refs/conductor/salvage/<name>/<time> when it
   * holds anything not in `mergedInto`: uncommitted changes (untracked files
   * too, through a throwaway index) or commits of its own. conductor's own
   * context copy is not work: a merged worktree holding only it saves nothing.
   */
  async salvage(path: string, name: string, mergedInto: string, knownHead?: string): Promise<string | undefined> {
    const wt = git(path);
    const head = knownHead ?? (await wt.raw(['rev-parse', 'HEAD'])).trim();
    // The worker's context copy is conductor's, not work: it alone is nothing to save.
    const status = await wt.raw(['status', '--porcelain', '--untracked-files=all', '--', '.', `:(exclude)${CONTEXT_COPY}`]);
    let commit = head;
    if (status.trim() !== '') {
      // A throwaway index outside the repository: the checkout's `.git` may be a file (a linked worktree).
      const scratchDir = await mkdtemp(join(tmpdir(), 'conductor-salvage-'));
      const scratch = join(scratchDir, 'index');
      try {
        const temp = git(path, { GIT_INDEX_FILE: scratch });
        await temp.raw(['read-tree', 'HEAD']);
        await temp.raw(['add', '-A', '--', '.', `:(exclude)${CONTEXT_COPY}`]);
        const tree = (await temp.raw(['write-tree'])).trim();
        commit = (await wt.raw(['commit-tree', tree, '-p', head, '-m', `conductor: salvaged uncommitted work of ${name}`])).trim();
      } finally {
        await rm(scratchDir, { recursive: true, force: true });
      }
    } else if (await this.isAncestor(head, mergedInto)) {
      return undefined; // nothing that is not already merged
    }
    return this.saveRef(name, commit);
  }

  /** Keep `commit` reachable under refs/conductor/salvage/<name>/<time>. */
  async saveRef(name: string, commit: string): Promise<string> {
    const ref = `refs/conductor/salvage/${name}/${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await this.g().raw(['update-ref', ref, commit]);
    return ref;
  }

  private async salvageAndRemove(path: string, head: string | undefined, name: string): Promise<void> {
    if (existsSync(path)) {
      const status = await git(path).raw(['status', '--porcelain', '--untracked-files=all']);
      if (status.trim() !== '' || head) await this.salvage(path, name, 'HEAD').catch(() => undefined);
    } else if (head) {
      await this.saveRef(name, head);
    }
    await this.g().raw(['worktree', 'remove', '--force', path]);
  }

  /** Never use a directory git does not know as a worktree: move it out of the way, keep its content. */
  private async moveAside(path: string, name: string): Promise<string> {
    const asideDir = join(this.worktreesDir, '.orphaned');
    await mkdir(asideDir, { recursive: true });
    const target = join(asideDir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    await rename(path, target);
    return target;
  }

  /** Drop registrations of conductor's worktrees whose directory is gone; leave every other worktree alone. */
  private async pruneOurMissing(): Promise<void> {
    // git's own list, not its admin files: the checkout may itself be a linked worktree (`.git` a file).
    // `git worktree prune` would drop every missing registration, the user's too; this drops ours one by one.
    for (const entry of await this.list()) {
      const ours = [this.worktreesDir, legacyWorktreesDir(this.repoRoot)].some((dir) => entry.path.startsWith(`${resolve(dir)}${sep}`));
      if (ours && !existsSync(entry.path)) await this.g().raw(['worktree', 'remove', '--force', '--force', entry.path]);
    }
  }

  /** The commit a new worktree starts at: the user's HEAD, or a branch's tip (asked of git: refs may be packed). */
  private async startCommit(fromRef: string): Promise<string> {
    if (fromRef === 'HEAD') return headCommit(this.repoRoot);
    return this.revParse(fromRef).catch(() => {
      throw deletedBranch(fromRef);
    });
  }

  private async revParse(ref: string): Promise<string> {
    const sha = (await this.g().raw(['rev-parse', '--verify', `${ref}^{commit}`])).trim();
    if (!/^[0-9a-f]{40,64}$/.test(sha)) throw new Error(`no such ref ${ref}`);
    return sha;
  }

  private isAncestor(commit: string, of: string): Promise<boolean> {
    return isContainedIn(this.repoRoot, commit, of);
  }
}

/** Someone deleted a branch conductor builds on (its worktree may still be registered on it). */
function deletedBranch(branch: string): ConductorError {
  return new ConductorError('STATE_CORRUPT', `the branch ${branch} that tasks start from has no commit: it was deleted outside conductor`, {
    hint: `if its commits are still in your reflog, recreate it (git branch ${branch} <commit>); otherwise remove its worktree with git worktree remove --force and run again`,
  });
}
