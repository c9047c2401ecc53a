// What a run leaves in git once it is over — its integration branch and
// worktree, task worktrees and branches, salvage refs — and the ways to put
// them away: `finish` and `abandon` free the worktrees, a new run of the same
// feature sets the old integration branch aside (building on it, every worker
// found its work already there: "no changes", blocked).
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TASK_ID_PATTERN } from '../backlog/types.js';
import { git } from './git.js';
import { worktreesDir } from './worktree-location.js';
import { INTEGRATION_DIR, LIVE_NAMING, WorktreeManager } from './worktrees.js';

export const SALVAGE_PREFIX = 'refs/conductor/salvage/';

export interface SalvageRef {
  ref: string;
  /** The worktree it was saved from: a task id, `_integration`, with `-moved` or `-unlinked` when so saved. */
  name: string;
  /** When it was saved (from its name); undefined when the name has no time. */
  at?: string;
}

/** Every salvage ref of the repository, oldest first. */
export async function listSalvageRefs(repoRoot: string): Promise<SalvageRef[]> {
  const out = await git(repoRoot).raw(['for-each-ref', '--format=%(refname)', SALVAGE_PREFIX]);
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((ref) => {
      const rest = ref.slice(SALVAGE_PREFIX.length);
      const slash = rest.lastIndexOf('/');
      const name = slash < 0 ? rest : rest.slice(0, slash);
      // saveRef writes the time with ':' and '.' as '-': 2026-12-02T14-26-09-123Z.
      const stamp = /^(\d{4}-\d{2}-\d{2}T\d{2})-(\d{2})-(\d{2})-(\d{3})Z$/.exec(rest.slice(slash + 1));
      return stamp ? { ref, name, at: `${stamp[1]}:${stamp[2]}:${stamp[3]}.${stamp[4]}Z` } : { ref, name };
    })
    .sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''));
}

/** The salvage refs one run of the live backlog saved: from its tasks or its integration worktree, since it started. */
export function refsOfRun(refs: readonly SalvageRef[], taskIds: readonly string[], since?: string): SalvageRef[] {
  const ours = new Set([...taskIds, INTEGRATION_DIR]);
  return refs.filter((r) => ours.has(r.name.replace(/-(?:moved|unlinked)$/, '')) && (since === undefined || (r.at !== undefined && r.at >= since)));
}

export async function deleteRefs(repoRoot: string, refs: readonly SalvageRef[]): Promise<void> {
  for (const r of refs) await git(repoRoot).raw(['update-ref', '-d', r.ref]);
}

export interface Freed {
  /** Task ids whose worktree or branch was removed. */
  tasks: string[];
  /** Salvage refs written for work that was not merged. */
  salvaged: string[];
  integrationRemoved: boolean;
}

/**
 * Remove the live run's task worktrees and branches (work not merged into the
 * integration branch is saved to a salvage ref first) and the integration
 * worktree (its branch stays), so the branch can be deleted and nothing is
 * picked up by the next run's task of the same id.
 */
export async function freeLiveWorktrees(repoRoot: string, feature: string): Promise<Freed> {
  const g = git(repoRoot);
  const manager = new WorktreeManager(repoRoot);
  const integration = LIVE_NAMING.integrationBranch(feature);
  const hasIntegration = (await g.raw(['branch', '--list', integration])).trim() !== '';
  const dir = worktreesDir(repoRoot);
  const present = existsSync(dir) ? (await readdir(dir)).filter((name) => TASK_ID_PATTERN.test(name)) : [];
  const branches = (await g.raw(['branch', '--list', 'task/*', '--format=%(refname:short)'])).split('\n').map((b) => b.trim().replace(/^task\//, '')).filter(Boolean);
  const ids = [...new Set([...present, ...branches])].filter((id) => TASK_ID_PATTERN.test(id)).sort();
  const salvaged: string[] = [];
  for (const id of ids) {
    const ref = await manager.removeTask(id, hasIntegration ? integration : 'HEAD');
    if (ref) salvaged.push(ref);
  }
  const integrationPath = join(dir, INTEGRATION_DIR);
  const hadIntegration = existsSync(integrationPath);
  const saved = hasIntegration ? await manager.removeIntegration(feature) : undefined;
  if (saved) salvaged.push(saved);
  return { tasks: ids, salvaged, integrationRemoved: hadIntegration && !existsSync(integrationPath) };
}

/**
 * A new run of `feature` starts from the user's HEAD, never from an earlier
 * run's integration branch: that branch is renamed `conductor/<feature>.<label>`
 * (its worktree removed first). Returns the new name, or undefined when there
 * was no such branch.
 */
export async function setAsideIntegrationBranch(repoRoot: string, feature: string, label: string): Promise<string | undefined> {
  const g = git(repoRoot);
  const branch = LIVE_NAMING.integrationBranch(feature);
  if ((await g.raw(['branch', '--list', branch])).trim() === '') return undefined;
  await new WorktreeManager(repoRoot).removeIntegration(feature);
  const taken = new Set((await g.raw(['branch', '--list', `${branch}.*`, '--format=%(refname:short)'])).split('\n').map((b) => b.trim()));
  let target = `${branch}.${label}`;
  for (let n = 2; taken.has(target); n++) target = `${branch}.${label}-${n}`;
  await g.raw(['branch', '-m', branch, target]);
  return target;
}

/** How many commits `branch` has that HEAD does not. */
export async function commitsAhead(repoRoot: string, branch: string): Promise<number> {
  const out = await git(repoRoot).run(['rev-list', '--count', `HEAD..${branch}`]);
  return out.exitCode === 0 ? Number(out.stdout.trim()) : 0;
}
