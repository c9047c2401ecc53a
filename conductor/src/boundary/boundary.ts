// The parts of the boundary beyond the worker's own worktree and the branches
// conductor moves (tamper-check.ts): the shared repository's config, hooks/
// and info/; every other ref (the user's branches, tags, anything outside
// refs/heads); the user's git-ignored files (.env); and conductor's records
// (tasks/, .conductor/). Snapshot before a worker session, compare after, and
// undo: files come back from the snapshot, refs go back to their old tips (a
// foreign ref's commits are kept in a salvage ref first).
import { git } from '../git/git.js';
import { isOwnWrite, noteOwnValue } from '../state/own-writes.js';
import { compareAndUndo, describeChanges, newBudget, snapshotFiles, walkFiles, type FileSet } from './file-set.js';

/**
 * Not compared in conductor's records: transcripts and logs it writes while workers run, and BACKLOG.yaml, which is
 * the human's to edit during a run (picked up at the next decision, never overwritten; a forged `done` in it is
 * done-authority.ts's to ignore).
 */
const NOT_COMPARED = new Set(['sessions', 'scratch', 'logs', 'recordings', 'lock', 'BACKLOG.yaml', 'events.jsonl']);

export interface BoundaryPlaces {
  repoRoot: string;
  /** tasks/ (or a factory build's own) and .conductor/. */
  records: readonly string[];
  /** Paths of the user's checkout conductor writes (relative, top level): not the user's files. */
  conductorPaths: readonly string[];
  /** Sandboxed: the user's checkout is read-only to the worker, and a change there is the user's own. */
  sandboxed: boolean;
}

export interface BoundarySnapshot {
  places: BoundaryPlaces;
  commonDir: string;
  admin: FileSet;
  records: FileSet[];
  ignored?: FileSet;
  refs: Map<string, string>;
  /** The user's index as `ls-files --stage` prints it (not under the sandbox): a worker's `git add` or commit there is undone. */
  index?: string;
  /** Directories over the snapshot's cap, not compared (said once in the run's output). */
  uncompared: string[];
}

export async function snapshotBoundary(places: BoundaryPlaces): Promise<BoundarySnapshot> {
  const commonDir = (await git(places.repoRoot).raw(['rev-parse', '--path-format=absolute', '--git-common-dir'])).trim();
  const budget = newBudget();
  // Under the sandbox the worker can write none of these (only its worktree and its own git directory): a change
  // there is the user's, who may go on working, so nothing is taken.
  const guarded = !places.sandboxed;
  // The three git calls at once: under load each costs a process start.
  const [ignoredList, refs, index] = guarded ? await Promise.all([ignoredPaths(places), allRefs(places.repoRoot), stagedEntries(places.repoRoot)]) : [undefined, new Map<string, string>(), undefined];
  const admin = snapshotFiles(commonDir, guarded ? adminPaths(commonDir) : [], budget);
  const records = guarded ? places.records.map((dir) => snapshotFiles(dir, walkFiles(dir, '', NOT_COMPARED), budget)) : [];
  const ignored = ignoredList ? snapshotFiles(places.repoRoot, ignoredList, budget) : undefined;
  return { places, commonDir, admin, records, ...(ignored ? { ignored } : {}), refs, ...(index !== undefined ? { index } : {}), uncompared: ignored?.uncompared ?? [] };
}

function adminPaths(commonDir: string): string[] {
  return ['config', 'config.worktree', ...walkFiles(commonDir, 'hooks'), ...walkFiles(commonDir, 'info')];
}

/** The user's git-ignored files, a wholly ignored directory (node_modules/) as one entry; conductor's own paths left out. */
async function ignoredPaths(places: BoundaryPlaces): Promise<string[]> {
  const out = await git(places.repoRoot).raw(['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory']);
  const ours = (path: string) => places.conductorPaths.some((p) => path === p || path === `${p}/` || path.startsWith(`${p}/`));
  return out.split('\0').filter((path) => path && !ours(path));
}

async function allRefs(repoRoot: string): Promise<Map<string, string>> {
  const out = await git(repoRoot).raw(['for-each-ref', '--format=%(refname) %(objectname)']);
  return new Map(out.split('\n').filter(Boolean).map((line) => line.split(' ') as [string, string]));
}

export interface RefRules {
  /** The task's own branch: tamper-check's alone. */
  own: string;
  /** Refs tamper-check judges itself (the task's own branch, the branches conductor moves). */
  judgedElsewhere: (ref: string) => boolean;
  /** The branch the user's checkout is on: named so in the notes. */
  userBranch?: string;
  /** Keep a commit in a salvage ref (returns its name). */
  keep: (name: string, commit: string) => Promise<string>;
}

/** What the worker changed outside its worktree, undone; one line per kind of change. */
export async function checkBoundary(before: BoundarySnapshot, rules: RefRules): Promise<string[]> {
  const { places } = before;
  const problems: string[] = [];
  if (places.sandboxed) return [];
  problems.push(...describeChanges('the shared repository (.git)', compareAndUndo(before.admin, adminPaths(before.commonDir), { removeAdded: true })));
  problems.push(...(await checkRefs(before, rules)));
  if (before.index !== undefined) problems.push(...(await checkIndex(places.repoRoot, before.index)));
  for (const set of before.records) {
    const name = set.root.startsWith(`${places.repoRoot}/`) ? set.root.slice(places.repoRoot.length + 1) : set.root;
    problems.push(...describeChanges(`conductor's records (${name})`, compareAndUndo(set, walkFiles(set.root, '', NOT_COMPARED), { removeAdded: true })));
  }
  if (before.ignored) {
    // An ignored file the worker added may as well be the user's (they may go on working): reported, left in place.
    problems.push(...describeChanges("the user's ignored files", compareAndUndo(before.ignored, await ignoredPaths(places), { removeAdded: false })));
  }
  return problems;
}

/** Every ref but those tamper-check judges and conductor's salvage refs: created, moved or deleted by anyone but conductor is undone. */
async function checkRefs(before: BoundarySnapshot, rules: RefRules): Promise<string[]> {
  const g = git(before.places.repoRoot);
  const now = await allRefs(before.places.repoRoot);
  const problems: string[] = [];
  for (const ref of [...new Set([...before.refs.keys(), ...now.keys()])].sort()) {
    if (ref === rules.own || ref.startsWith('refs/conductor/')) continue;
    const was = before.refs.get(ref);
    const tip = now.get(ref);
    if (was === tip || isOwnWrite(`ref:${ref}`, tip ?? '')) continue;
    // A deleted branch still checked out is a worker's doing, unless it exists again now: conductor deletes and
    // re-creates a task's branch when it starts that task over, and both reads above can fall between the two.
    if (rules.judgedElsewhere(ref) && (tip !== undefined || !(await stillInUse(before.places.repoRoot, ref)) || (await tipOf(before.places.repoRoot, ref)) !== undefined)) continue;
    if (tip !== undefined && was !== undefined && (await movedByConductor(before.places.repoRoot, ref, tip))) continue;
    const name = ref.replace(/^refs\/(heads\/)?/, '');
    const label = ref === rules.userBranch ? `the user's branch ${name}` : ref.startsWith('refs/heads/') ? `the branch ${name}` : `the ref ${ref}`;
    if (tip !== undefined) await rules.keep(`ref-${name.replace(/\//g, '-')}`, tip);
    const what = was === undefined ? 'created' : tip === undefined ? 'deleted' : 'moved';
    if (was === undefined && (await stillInUse(before.places.repoRoot, ref))) {
      problems.push(`the worker ${what} ${label}`); // a worktree is on it (the worker's own, switched): kept, so git there still works
      continue;
    }
    const args = was === undefined ? ['update-ref', '-d', ref, tip!] : ['update-ref', '-m', "conductor: undo a worker's change", ref, was, ...(tip ? [tip] : [])];
    const undone = (await g.run(args)).exitCode === 0;
    if (undone) noteOwnValue(`ref:${ref}`, was ?? '');
    problems.push(`the worker ${what} ${label}${undone ? `; conductor ${was === undefined ? 'removed it' : 'put it back'}` : ''}`);
  }
  return problems;
}

async function tipOf(repoRoot: string, ref: string): Promise<string | undefined> {
  const out = await git(repoRoot).run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  return out.exitCode === 0 ? out.stdout.trim() : undefined;
}

async function stagedEntries(repoRoot: string): Promise<string> {
  return git(repoRoot).raw(['ls-files', '--stage', '-z']);
}

/** The user's staged changes as they were: the index emptied and filled again from the snapshot's entries. */
async function checkIndex(repoRoot: string, before: string): Promise<string[]> {
  if ((await stagedEntries(repoRoot)) === before) return [];
  const g = git(repoRoot);
  // "<mode> <object> <stage>\t<path>": conflicted entries (stage > 0) cannot be staged again this way and are left out.
  const entries = before.split('\0').filter(Boolean).map((line) => /^(\d+) ([0-9a-f]+) 0\t(.*)$/s.exec(line)).filter((m) => m !== null);
  let restored = (await g.run(['read-tree', '--empty'])).exitCode === 0;
  for (let i = 0; restored && i < entries.length; i += 500) {
    const args = entries.slice(i, i + 500).flatMap((m) => ['--cacheinfo', `${m[1]},${m[2]},${m[3]}`]);
    restored = (await g.run(['update-index', '--add', ...args])).exitCode === 0;
  }
  if (restored) await g.run(['update-index', '-q', '--refresh']); // stat data again, so status does not see every file as touched
  return [`the worker changed the user's staged changes${restored ? '; conductor put them back' : ''}`];
}

/** A branch conductor deleted has no worktree left on it; one still checked out somewhere was deleted under its feet. */
async function stillInUse(repoRoot: string, ref: string): Promise<boolean> {
  const out = await git(repoRoot).raw(['worktree', 'list', '--porcelain']);
  return out.split('\n').includes(`branch ${ref}`);
}

/** The ref's newest reflog entry is conductor's move to `tip` (a merge into the user's branch, say). */
async function movedByConductor(repoRoot: string, ref: string, tip: string): Promise<boolean> {
  const line = (await git(repoRoot).run(['reflog', 'show', '-n1', '--format=%H %gs', ref, '--'])).stdout.trim();
  return line.startsWith(`${tip} conductor:`);
}

/** Where the user's checkout holds a directory too big to compare, once per run. */
export function uncomparedNote(snapshot: BoundarySnapshot): string | undefined {
  if (snapshot.uncompared.length === 0) return undefined;
  return `boundary: ${snapshot.uncompared.join(', ')} in your checkout hold(s) too many files to compare after each worker session; changes there are not detected (use sandbox: bwrap)`;
}
