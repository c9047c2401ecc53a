// A submodule's path in a task's worktree is not the task's to edit: conductor
// commits the worktree, not the submodule, so files written there were neither
// committed nor saved, and the task looked done. Each submodule path is
// summarised before the worker session and compared after.
import { git } from '../git/git.js';
import { compareAndUndo, snapshotFiles, type FileSet } from './file-set.js';

export async function snapshotSubmodules(worktree: string): Promise<FileSet> {
  return snapshotFiles(worktree, await submodulePaths(worktree));
}

/** The submodule paths the worker changed (files inside, or the submodule's checkout). */
export function changedSubmodules(before: FileSet): string[] {
  return compareAndUndo(before, [...before.entries.keys()], { removeAdded: false }).map((change) => change.path.replace(/\/$/, ''));
}

async function submodulePaths(worktree: string): Promise<string[]> {
  const out = await git(worktree).raw(['ls-files', '--stage', '-z']);
  // A gitlink's stage line: "160000 <object> <stage>\t<path>".
  return out.split('\0').filter((line) => line.startsWith('160000 ')).map((line) => `${line.slice(line.indexOf('\t') + 1)}/`);
}
