// What a worker may not touch, checked around its session: a snapshot before
// it runs, a comparison after. The user's checkout (HEAD, branch, and its
// files: put back, boundary/user-files.ts), the integration branch and the other
// task branches move only through conductor (its reflog lines start with
// "conductor:"); the worker's own worktree must stay on its branch, keep its
// .git link, and never lose earlier commits. Whatever the worker's moves
// would lose is saved to a salvage ref first; a foreign move of the
// integration branch (conductor owns it) is undone. A committed symlink
// that leads out of the worktree is refused too.
import { existsSync, realpathSync } from 'node:fs';
import { lstat, readlink, realpath, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { git, isContainedIn, REFLOG_ACTION } from '../git/git.js';
import { gitDirs, repoState } from '../git/repo-state.js';
import { DEFAULT_DOCS_DIR, repoMapFile, runReportsDir } from '../config/docs-dir.js';
import type { WorktreeManager } from '../git/worktrees.js';
import { checkBoundary, snapshotBoundary, type BoundarySnapshot } from '../boundary/boundary.js';
import type { FileSet } from '../boundary/file-set.js';
import { keepUserFiles, restoreUserFiles } from '../boundary/user-files.js';
import { isOwnWrite, signatureOf } from '../state/own-writes.js';

/** Paths of the user's checkout that conductor itself writes while workers run (the map's atomic-write temp files too, and `conductor report`'s <docsDir>/runs/ from another terminal). */
const conductorPaths = (docsDir: string) => ['tasks', 'specs', '.conductor', 'worktrees', repoMapFile(docsDir), `${repoMapFile(docsDir)}.*`, runReportsDir(docsDir)];

interface RefState {
  tip: string;
  /** How many entries the ref's reflog had when the snapshot was taken (asked of git: no reflog file is read). */
  logCount: number;
  /** Its oldest entry: another one means the ref was deleted and created again. */
  logHead: string;
}

/** One reflog entry: the commit the ref moved to and the move's message. */
interface ReflogEntry {
  to: string;
  message: string;
}

export interface GuardSnapshot {
  repoRoot: string;
  worktree: string;
  /** The worktree's own git directory, as git found it through the worktree's `.git` link: a worker that rewrites the link points git elsewhere. */
  worktreeGitDir: string;
  taskBranch: string;
  integrationBranch: string;
  /** Undefined when the worker cannot write the user's checkout (the sandbox): any change there is someone else's. */
  user?: { head: string; symref: string; files: Map<string, string>; /** conductor's own paths there, left out of `files`. */ own: string[]; kept: FileSet };
  refs: Map<string, RefState>;
  /** The branch the user's checkout was on. */
  userBranch?: string;
  /** The shared repository's files, every other ref, the user's ignored files, conductor's records. */
  boundary: BoundarySnapshot;
}

export interface Tampering {
  /** One line per thing touched. */
  problems: string[];
  /** The worktree's git link was rewritten: the worktree is set aside and made again for the next attempt. */
  linkTouched?: boolean;
  /** Salvage refs written to keep the worker's commits or the commits its moves would drop. */
  salvaged: string[];
}

export interface GuardOptions {
  sandboxed?: boolean;
  /** conductor's records to guard (tasks/, .conductor/); none when omitted. */
  records?: readonly string[];
  /** Where the other tasks' branches live (`task/`, a factory build's `factory/<tag>-`). */
  taskBranchPrefix?: string;
  /** conductor.config.yaml `docsDir`: where conductor writes the repo map and run reports. */
  docsDir?: string;
}

export async function snapshotGuarded(repoRoot: string, worktree: string, taskBranch: string, integrationBranch: string, options: GuardOptions = {}): Promise<GuardSnapshot> {
  const taskPrefix = `refs/heads/${options.taskBranchPrefix ?? 'task/'}`;
  const { gitDir: worktreeGitDir } = await gitDirs(worktree);
  // Each reflog is read before its tip: conductor may move a branch at any moment (another task's commit or
  // merge), and a move between the two reads must show up as a new reflog line, not vanish into the snapshot.
  const guarded = [...(await branchTips(repoRoot)).keys()].filter((ref) => ref === `refs/heads/${integrationBranch}` || ref.startsWith(taskPrefix));
  const logs = await reflogs(repoRoot, guarded);
  const tips = await branchTips(repoRoot);
  const refs = new Map<string, RefState>();
  for (const ref of guarded) {
    const tip = tips.get(ref);
    const log = logs.get(ref) ?? [];
    if (tip !== undefined) refs.set(ref, { tip, logCount: log.length, logHead: entryLine(log[0]) });
  }
  // Under the sandbox the whole checkout, its files and its refs, is read-only to the worker: a change there
  // during the session is the human's (they may go on working), so it is not looked at.
  const own = conductorPaths(options.docsDir ?? DEFAULT_DOCS_DIR);
  const boundary = await snapshotBoundary({ repoRoot, records: options.records ?? [], conductorPaths: own, sandboxed: options.sandboxed === true });
  const userBranch = (await headOf(repoRoot)).symref;
  return { repoRoot, worktree, worktreeGitDir, taskBranch, integrationBranch, ...(options.sandboxed ? {} : { user: await userSnapshot(repoRoot, own) }), refs, boundary, ...(userBranch ? { userBranch } : {}) };
}

/** Compare with the snapshot after the worker ran; undefined when nothing it may not touch changed. */
export async function findTampering(before: GuardSnapshot, worktrees: WorktreeManager, taskId: string): Promise<Tampering | undefined> {
  const problems: string[] = [];
  const salvaged: string[] = [];
  const keep = async (name: string, commit: string) => salvaged.push(await worktrees.saveRef(`${taskId}-${name}`, commit));

  // The worker's own worktree: still a worktree, on its branch, with every earlier commit.
  const ownRef = `refs/heads/${before.taskBranch}`;
  const ownBefore = before.refs.get(ownRef);
  const link = join(before.worktree, '.git');
  // Whether the link still leads to the worktree's own git directory is git's answer, not a reading of the file
  // (one call, which says where HEAD is too).
  const state = existsSync(link) ? await repoState(before.worktree).catch(() => undefined) : undefined;
  const linkNow = !existsSync(link) ? 'removed' : state?.gitDir === before.worktreeGitDir ? 'intact' : 'rewritten';
  if (linkNow === 'removed') {
    problems.push(`the worker removed its worktree's git link (${join(before.worktree, '.git')})`);
  } else if (linkNow === 'rewritten') {
    // Pointed elsewhere (the user's repository) or wrecked: put it back before any git runs there again.
    // Read through the worker's link, HEAD and branch would describe another repository: they are not looked at.
    problems.push(`the worker rewrote its worktree's git link (${join(before.worktree, '.git')}); conductor put it back`);
    await rm(link, { recursive: true, force: true });
    await writeFile(link, `gitdir: ${before.worktreeGitDir}\n`); // what `git worktree add` writes
  } else if (state) {
    const { symref, head } = state;
    if (symref !== ownRef) {
      problems.push(symref ? `the worker switched its branch to ${symref.replace(/^refs\/heads\//, '')}` : 'the worker detached its HEAD');
      if (head) await keep('worker-head', head);
    }
  }
  const tips = await branchTips(before.repoRoot);
  const ownAfter = tips.get(ownRef);
  if (ownBefore && ownAfter === undefined) {
    problems.push(`the worker renamed or deleted its branch ${before.taskBranch}`);
    await keep('branch', ownBefore.tip);
  } else if (ownBefore && ownAfter !== undefined && !(await isContainedIn(before.repoRoot, ownBefore.tip, ownAfter))) {
    problems.push(`the worker rewound its branch ${before.taskBranch}, dropping earlier commits`);
    await keep('rewound', ownBefore.tip);
  }

  // Branches only conductor moves.
  for (const [ref, state] of before.refs) {
    if (ref === ownRef) continue;
    let tip = tips.get(ref);
    if (tip === undefined || tip === state.tip) continue;
    let log = (await reflogs(before.repoRoot, [ref])).get(ref) ?? [];
    // The tip was read before the reflog: a merge of conductor's in between (another task's) shows as a move the
    // tip does not know yet. Read both again (a few times, merges may follow each other); a move is judged on
    // what is there once they agree, or on the last reading.
    for (let i = 0; i < 3 && log.length > 0 && log.at(-1)!.to !== tip; i++) {
      tip = (await branchTips(before.repoRoot)).get(ref) ?? tip;
      log = (await reflogs(before.repoRoot, [ref])).get(ref) ?? [];
    }
    const foreign = foreignMoves(ref, state, tip, log);
    if (!foreign) continue;
    const name = ref.replace(/^refs\/heads\//, '');
    const integration = ref === `refs/heads/${before.integrationBranch}`;
    await keep(integration ? 'integration' : name.replace(/\//g, '-'), tip);
    const undone = integration && foreign.undo !== undefined && (await undoIntegrationMove(before, worktrees.placeOf(worktrees.naming.integrationDir), ref, foreign.undo, tip));
    problems.push(`the worker moved the ${integration ? 'integration ' : ''}branch ${name}${undone ? '; conductor put it back' : ''}`);
  }

  // conductor's own namespaces (the integration branch, task and factory branches) are judged above, by their reflogs.
  const judgedElsewhere = (ref: string) => ref === ownRef || before.refs.has(ref) || /^refs\/heads\/(task|factory|conductor)\//.test(ref);
  const keepRef = async (name: string, commit: string) => (await keep(name, commit), salvaged.at(-1)!);
  // HEAD first (a branch the worker made and switched to is then free to remove), then the shared config: the
  // user's files are put back last, by git with no filter the worker planted.
  if (before.user) problems.push(...(await checkoutHead(before.repoRoot, before.user)));
  problems.push(...(await checkBoundary(before.boundary, { own: ownRef, ...(before.userBranch ? { userBranch: before.userBranch } : {}), judgedElsewhere, keep: keepRef })));
  if (before.user) problems.push(...(await checkoutFiles(before.repoRoot, before.user, keepRef)));
  return problems.length > 0 ? { problems, salvaged, ...(linkNow !== 'intact' ? { linkTouched: true } : {}) } : undefined;
}

/** The user's checkout against its snapshot: its branch, its HEAD, and its changed files. */
async function checkoutHead(repoRoot: string, before: NonNullable<GuardSnapshot['user']>): Promise<string[]> {
  const { symref, head } = await headOf(repoRoot);
  if (symref !== before.symref) {
    // HEAD back where the user left it (their files are judged after): the branch the worker made is the ref check's.
    const g = git(repoRoot);
    const back = before.symref ? await g.run(['symbolic-ref', '-m', `${REFLOG_ACTION}: undo a worker's switch`, 'HEAD', before.symref]) : await g.run(['update-ref', '--no-deref', 'HEAD', before.head]);
    return [`the worker switched the user's checkout from ${short(before.symref) || 'a detached HEAD'} to ${short(symref) || 'a detached HEAD'}${back.exitCode === 0 ? '; conductor switched it back' : ''}`];
  }
  if (head !== before.head && !symref) return ["the worker moved the user's detached HEAD"]; // a branch's move is the ref check's (boundary.ts), which puts it back
  return [];
}

/** The user's files against the snapshot (HEAD back where it was): what changed is put back. */
async function checkoutFiles(repoRoot: string, before: NonNullable<GuardSnapshot['user']>, keep: (name: string, commit: string) => Promise<string>): Promise<string[]> {
  const user = await userCheckout(repoRoot, before.own);
  const changed = [...new Set([...before.files.keys(), ...user.files.keys()])]
    .filter((path) => before.files.get(path) !== user.files.get(path))
    .filter((path) => !isOwnWrite(join(repoRoot, path), signatureOf(join(repoRoot, path)))) // put back by an overlapping session's check
    .sort();
  if (changed.length === 0) return [];
  const undo = await restoreUserFiles(repoRoot, before.head, before.kept, changed, keep);
  const list = (paths: readonly string[]) => paths.slice(0, 5).join(', ') + (paths.length > 5 ? ` and ${paths.length - 5} more` : '');
  const back = undo.notRestored.length === 0 ? '; conductor put them back' : undo.restored.length > 0 ? `; conductor put back all but ${list(undo.notRestored)}` : '';
  return [`the worker changed the user's checkout: ${list(changed)}${back}`]; // what it left: in the salvage ref the attempt names
}

/**
 * Files of the change that are symlinks leading outside the worktree, as `path -> target`. Every component is
 * resolved, through `..` and chains of links (`x/parent -> ..`, `sneaky -> x/parent/../..`), not just the
 * link's own text; a link that cannot be resolved on disk is judged by the furthest it gets.
 */
export async function escapingSymlinks(worktree: string, files: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  const root = await realpath(worktree);
  for (const file of files) {
    const path = join(worktree, file);
    if (!(await lstat(path).catch(() => undefined))?.isSymbolicLink()) continue;
    const target = await readlink(path);
    if (isAbsolute(target) || !(await resolvesInside(root, join(root, file)))) found.push(`${file} -> ${target}`);
  }
  return found;
}

/** Does `path` (below `root`, both real) resolve, link by link and component by component, to a place inside `root`? */
async function resolvesInside(root: string, path: string): Promise<boolean> {
  const inside = (p: string) => p === root || p.startsWith(`${root}${sep}`);
  const pending = relative(root, path).split(sep).filter(Boolean);
  let at = root;
  for (let hops = 0; pending.length > 0; ) {
    const part = pending.shift()!;
    if (part === '.') continue;
    const next = part === '..' ? dirname(at) : join(at, part);
    if (!inside(next)) return false;
    const stat = await lstat(next).catch(() => undefined);
    if (stat?.isSymbolicLink()) {
      if (++hops > 40) return false; // a loop: treat as leading nowhere safe
      const target = await readlink(next);
      if (isAbsolute(target)) return false;
      pending.unshift(...target.split(sep).filter(Boolean));
      continue; // `at` stays: the link's target is relative to its own directory
    }
    at = next;
  }
  return inside(at);
}

const short = (symref: string) => symref.replace(/^refs\/heads\//, '');

async function branchTips(repoRoot: string): Promise<Map<string, string>> {
  const out = await git(repoRoot).raw(['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads/']);
  return new Map(out.split('\n').filter(Boolean).map((line) => line.split(' ') as [string, string]));
}

const entryLine = (entry: ReflogEntry | undefined) => (entry ? `${entry.to} ${entry.message}` : '');

/**
 * The reflogs of `refs`, oldest entry first, asked of git in one call (`log -g` walks several reflogs):
 * reflog files are never read, so packed refs and reftable repositories need nothing else. Should one ref
 * have gone in the meantime, git refuses the whole call: then each is asked alone.
 */
async function reflogs(repoRoot: string, refs: readonly string[]): Promise<Map<string, ReflogEntry[]>> {
  const found = new Map<string, ReflogEntry[]>();
  if (refs.length === 0) return found;
  const g = git(repoRoot);
  const ask = (which: readonly string[]) => g.run(['log', '-g', '--format=%gD%x09%H%x09%gs', ...which, '--']);
  let answers = [await ask(refs)];
  if (answers[0]!.exitCode !== 0) answers = await Promise.all(refs.map((ref) => ask([ref])));
  const indexed = new Map<string, { index: number; entry: ReflogEntry }[]>();
  for (const answer of answers) {
    if (answer.exitCode !== 0) continue;
    for (const line of answer.stdout.split('\n')) {
      const match = /^(.+)@\{(\d+)\}\t([0-9a-f]{40,64})\t(.*)$/.exec(line);
      if (!match) continue;
      const list = indexed.get(match[1]!) ?? [];
      list.push({ index: Number(match[2]), entry: { to: match[3]!, message: match[4]! } });
      indexed.set(match[1]!, list);
    }
  }
  for (const [ref, list] of indexed) found.set(ref, list.sort((a, b) => b.index - a.index).map((item) => item.entry));
  return found;
}

/**
 * Did someone other than conductor move `ref` since the snapshot? Every new
 * reflog line must be conductor's and the last one must name the tip. When
 * the foreign moves sit on top of conductor's, `undo` is the tip to go back to.
 */
function foreignMoves(ref: string, before: RefState, tip: string, log: readonly ReflogEntry[]): { undo?: string } | undefined {
  const recreated = log.length < before.logCount || entryLine(log[0]) !== before.logHead;
  if (recreated) return ref.startsWith('refs/heads/task/') ? undefined : {}; // conductor restarts task branches, never the integration branch
  const moves = log.slice(before.logCount).map((entry) => ({ to: entry.to, ours: entry.message.startsWith(`${REFLOG_ACTION}:`) }));
  const lastTo = moves.at(-1)?.to;
  if (moves.every((m) => m.ours) && lastTo === tip) return undefined;
  // Conductor's moves first, then only foreign ones: go back to the last of conductor's.
  const firstForeign = moves.findIndex((m) => !m.ours);
  const onTop = firstForeign === -1 || moves.slice(firstForeign).every((m) => !m.ours);
  if (!onTop) return {};
  return { undo: firstForeign > 0 ? moves[firstForeign - 1]!.to : before.tip };
}

/** Put conductor's integration branch back (compare-and-swap, so a concurrent merge wins) and its worktree with it. */
async function undoIntegrationMove(before: GuardSnapshot, integration: string, ref: string, to: string, from: string): Promise<boolean> {
  const g = git(before.repoRoot);
  const ok = await g.raw(['update-ref', '-m', `${REFLOG_ACTION}: undo a worker's move`, ref, to, from]).then(() => true, () => false);
  if (!ok) return false;
  const ig = git(integration);
  const onBranch = existsSync(integration) && (await ig.run(['symbolic-ref', '-q', 'HEAD'])).stdout.trim() === ref;
  const merging = onBranch && existsSync((await ig.raw(['rev-parse', '--path-format=absolute', '--git-path', 'MERGE_HEAD'])).trim());
  if (onBranch && !merging) await ig.raw(['reset', '-q', '--hard']);
  return true;
}

/** The ref a checkout's HEAD is on ('' when detached) and its commit ('' when there is none), asked of git in one call. */
async function headOf(dir: string): Promise<{ symref: string; head: string }> {
  const { symref, head } = await repoState(dir);
  return { symref, head };
}

/** The user's checkout before the session: its state, and the bytes of the files the user changed or added. */
async function userSnapshot(repoRoot: string, own: string[]): Promise<NonNullable<GuardSnapshot['user']>> {
  const user = await userCheckout(repoRoot, own);
  return { ...user, kept: keepUserFiles(repoRoot, [...user.files.keys()]) };
}

async function userCheckout(repoRoot: string, own: string[]): Promise<Omit<NonNullable<GuardSnapshot['user']>, 'kept'>> {
  const g = git(repoRoot);
  const { symref, head } = await headOf(repoRoot);
  const out = await g.raw(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', '.', ...own.map((p) => `:(exclude)${p}`)]);
  const files = new Map<string, string>();
  const fields = out.split('\0');
  for (let i = 0; i < fields.length; i += 1) {
    const field = fields[i]!;
    if (field.length < 4) continue;
    const code = field.slice(0, 2);
    const path = field.slice(3);
    files.set(path, `${code}|${await fileStamp(join(repoRoot, path))}`);
    if (code.includes('R') || code.includes('C')) {
      i += 1; // the next field is the original path
      if (fields[i]) files.set(fields[i]!, `${code}<|${await fileStamp(join(repoRoot, fields[i]!))}`);
    }
  }
  return { head, symref, files, own };
}

async function fileStamp(path: string): Promise<string> {
  const s = await lstat(path).catch(() => undefined);
  if (!s) return 'gone';
  const target = s.isSymbolicLink() ? (() => { try { return realpathSync(path); } catch { return 'dangling'; } })() : '';
  return `${s.mode}:${s.size}:${s.mtimeMs}:${target}`;
}
