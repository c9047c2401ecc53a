// The random-kill harness (RELIABILITY.md rows 1, 3, 7): one seed = a small
// repository with a five-task backlog, `conductor implement` at concurrency 3
// with the scripted agent and a tiny gate (or, for every fifth seed, the whole
// `conductor run --yes` from a feature request, resumed with `conductor
// resume`), SIGKILLed at a seeded point, maybe killed again while resuming,
// then resumed to the end; then every invariant a user relies on after a
// crash is checked and each breach is returned.
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateBacklogText } from '../../src/backlog/validate-backlog.js';
import { readTaskStatus } from '../../src/state/status-file.js';
import { BIN } from './cli.js';
import { worktreesDir as worktreesDirOf } from './worktree-path.js';
import { backlog, writeTask } from './backlogs.js';

const SCRIPT = fileURLToPath(new URL('../fixtures/scripted-agent.mjs', import.meta.url));
const GATE = fileURLToPath(new URL('../fixtures/kill-gate.mjs', import.meta.url));

const REQUEST = "# Feature Request: Rate Limiter\n\n## User Story\nx\n## Problem Statement\nx\n## Requirements\n- x\n## Constraints\n- Don't touch: src/db/**\n## Success Criteria\n- [ ] x\n";
const BACKLOG = backlog(
  writeTask('T01', 'First'),
  writeTask('T02', 'Second', ['T01']),
  writeTask('T03', 'Third'),
  writeTask('T04', 'Fourth', ['T02', 'T03']),
  writeTask('T05', 'Fifth', ['T01']),
);
/** Where conductor may write in the user's checkout; everything else must stay as it was. */
const CONDUCTOR_DIRS = ['tasks/', 'specs/', 'docs/', '.conductor/', 'worktrees/'];

/** mulberry32: a small seeded generator, so a seed always picks the same kill points. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=user', '-c', 'user.email=user@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export interface Project {
  root: string;
  repo: string;
  /** `implement` on a ready backlog, or `run` from a feature request (planning and backlog phases too). */
  mode: 'implement' | 'run';
  feature: string;
  taskIds: string[];
  /** One JSON line per agent call (the scripted agent's log) and per gate run. */
  events: string;
}

export function makeProject(mode: Project['mode'] = 'implement'): Project {
  const root = mkdtempSync(join(tmpdir(), 'conductor-kill-'));
  const repo = join(root, 'repo');
  const events = join(root, 'events.jsonl');
  const env = { SCRIPT_LOG: events, SCRIPT_VERDICT: 'approve', SCRIPT_EDIT: 'src/{task}.ts=export const done = "{task} attempt {attempt}";' };
  const config = `provider: scripted\nconcurrency: 3\nattempts: 3\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify(env)}\ngates:\n  - { name: check, run: [${JSON.stringify(process.execPath)}, ${JSON.stringify(GATE)}] }\n`;
  const files: Record<string, string> = { 'conductor.config.yaml': config, 'src/app.ts': 'export {};\n', 'README.md': '# demo\n', ...(mode === 'implement' ? { 'tasks/BACKLOG.yaml': BACKLOG } : { 'feature-request.md': REQUEST }) };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), content);
  }
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'initial');
  // Something of the user's own that is not committed: it must survive untouched.
  writeFileSync(join(repo, 'notes.txt'), 'my own uncommitted notes\n');
  return mode === 'implement' ? { root, repo, events, mode, feature: 'demo', taskIds: ['T01', 'T02', 'T03', 'T04', 'T05'] } : { root, repo, events, mode, feature: 'rate-limiter', taskIds: ['T01', 'T02'] };
}

/** What the user runs: the first command, then resume. */
function commandFor(project: Project): string[] {
  if (project.mode === 'implement') return ['implement'];
  // A run killed before it wrote its journal has nothing to resume: the user starts it again.
  return existsSync(join(project.repo, '.conductor', 'run.json')) ? ['resume', '--yes'] : ['run', 'feature-request.md', '--yes'];
}

export function eventCount(project: Project): number {
  try {
    const text = readFileSync(project.events, 'utf8');
    let n = 0;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
    return n;
  } catch {
    return 0;
  }
}

export interface KillPoint {
  /** Kill once this many more events (agent calls, gate runs) have happened since the start... */
  afterEvents: number;
  /** ...and then this many milliseconds more. */
  delayMs: number;
}

export interface Outcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The kill was sent (the run had not finished before its kill point). */
  killed: boolean;
}

/** Run conductor (see commandFor); SIGKILL the conductor process alone (as `kill -9 <pid>` does) at `kill`, if given. */
export function runConductor(project: Project, kill?: KillPoint, timeoutMs = 60_000): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...commandFor(project)], { cwd: project.repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KILL_EVENTS: project.events } });
    let stdout = '';
    let stderr = '';
    let killed = false;
    let exited = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const hardStop = setTimeout(() => {
      stderr += '\n[harness: timed out]';
      child.kill('SIGKILL');
    }, timeoutMs);
    let poll: NodeJS.Timeout | undefined;
    if (kill) {
      const start = eventCount(project);
      const fire = () => {
        if (exited) return;
        killed = true;
        child.kill('SIGKILL');
      };
      const check = () => {
        if (exited) return;
        if (eventCount(project) - start >= kill.afterEvents) setTimeout(fire, kill.delayMs);
        else poll = setTimeout(check, 3);
      };
      check();
    }
    child.on('close', (exitCode, signal) => {
      exited = true;
      clearTimeout(hardStop);
      if (poll) clearTimeout(poll);
      resolve({ exitCode, signal, stdout, stderr, killed: killed && signal === 'SIGKILL' });
    });
  });
}

export interface Snapshot {
  head: string;
  branch: string;
  status: string;
  files: Record<string, string>;
}

/** The user's checkout as they see it, minus the places conductor may write. */
export function snapshot(repo: string): Snapshot {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const rel = relative(repo, path);
      if (rel === '.git' || CONDUCTOR_DIRS.some((d) => `${rel}/`.startsWith(d))) continue;
      if (statSync(path).isDirectory()) walk(path);
      else files[rel] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(repo);
  const status = git(repo, 'status', '--porcelain', '--untracked-files=all')
    .split('\n')
    .filter((line) => line && !CONDUCTOR_DIRS.some((d) => line.slice(3).startsWith(d)))
    .join('\n');
  return { head: git(repo, 'rev-parse', 'HEAD').trim(), branch: git(repo, 'branch', '--show-current').trim(), status, files };
}

/** Live processes carrying this repository's CONDUCTOR_HOME: agents and gates. */
export function markedProcesses(repo: string): string[] {
  const needle = `CONDUCTOR_HOME=${join(repo, '.conductor')}\0`;
  const found: string[] = [];
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      if (`${readFileSync(`/proc/${entry}/environ`, 'latin1')}\0`.includes(needle)) found.push(`${entry} ${readFileSync(`/proc/${entry}/cmdline`, 'latin1').replaceAll('\0', ' ').trim()}`);
    } catch {
      // gone, or not ours
    }
  }
  return found;
}

/** Every invariant a user relies on after kills and a final resume; one line per breach. */
export async function checkInvariants(project: Project, before: Snapshot, final: Outcome): Promise<string[]> {
  const { repo } = project;
  const violations: string[] = [];
  const tryGit = (...args: string[]): { ok: boolean; out: string } => {
    try {
      return { ok: true, out: git(repo, ...args) };
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? e.message}` };
    }
  };

  if (final.exitCode !== 0 && final.exitCode !== 1) violations.push(`final run exited ${final.exitCode ?? final.signal}: ${final.stderr.trim().split('\n').slice(-3).join(' | ')}`);

  // Every state file parses; the backlog validates.
  const backlogText = readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8');
  const backlog = validateBacklogText(backlogText, 'tasks/BACKLOG.yaml').backlog;
  if (!backlog) violations.push('tasks/BACKLOG.yaml does not validate');
  const validate = await new Promise<number | null>((resolve) => spawn(process.execPath, [BIN, 'validate'], { cwd: repo, stdio: 'ignore' }).on('close', resolve));
  if (validate !== 0) violations.push(`conductor validate exited ${validate}`);
  for (const name of readdirSync(join(repo, 'tasks'))) {
    if (name.includes('.corrupt-')) violations.push(`a status file was set aside as corrupt: tasks/${name}`);
  }
  const runJson = join(repo, '.conductor', 'run.json');
  if (existsSync(runJson)) {
    try {
      JSON.parse(readFileSync(runJson, 'utf8'));
    } catch (error) {
      violations.push(`.conductor/run.json does not parse: ${(error as Error).message}`);
    }
  }

  // Every task done, or failed/blocked with a note; BACKLOG.yaml and the status file agree.
  const integration = `conductor/${project.feature}`;
  for (const id of project.taskIds) {
    const read = await readTaskStatus(join(repo, 'tasks'), id);
    if (read.kind !== 'ok') {
      violations.push(`${id}: status file ${read.kind}${read.kind === 'corrupt' ? ` (${read.reason})` : ''}`);
      continue;
    }
    const state = read.status.status;
    const inBacklog = backlog?.tasks.find((t) => t.id === id)?.status;
    if (inBacklog !== state) violations.push(`${id}: BACKLOG.yaml says ${inBacklog}, ${id}.status.json says ${state}`);
    if (state === 'done') {
      const content = tryGit('show', `${integration}:src/${id}.ts`);
      if (!content.ok || !content.out.includes(`"${id} attempt`)) violations.push(`${id}: done, but src/${id}.ts is not in ${integration}`);
    } else if (state === 'failed' || state === 'blocked') {
      if (!read.status.note) violations.push(`${id}: ${state} without a note`);
    } else {
      violations.push(`${id}: left ${state} after the final run`);
    }
  }

  // No commit conductor or an agent made is lost: nothing unreachable from every ref (worktree HEADs count).
  // A salvage commit is written before its ref, and its worktree is removed only after the ref exists:
  // one left unreachable by a kill in between is a copy of work that stayed in its worktree.
  const unreachable = tryGit('fsck', '--unreachable', '--no-reflogs', '--no-progress');
  for (const line of unreachable.out.split('\n')) {
    const m = /^unreachable commit ([0-9a-f]+)/.exec(line);
    if (!m) continue;
    const subject = tryGit('log', '-1', '--format=%s', m[1]!).out.trim();
    if (!subject.startsWith('conductor: salvaged uncommitted work of ')) violations.push(`lost commit ${m[1]!.slice(0, 10)}: ${subject}`);
  }
  const fsck = tryGit('fsck', '--no-dangling', '--no-progress');
  if (!fsck.ok || /error|missing|broken/i.test(fsck.out)) violations.push(`git fsck: ${fsck.out.trim().split('\n').slice(0, 3).join(' | ')}`);

  // No prunable or unregistered worktree; none left behind for a finished task.
  const list = tryGit('worktree', 'list', '--porcelain').out;
  const registered = new Set<string>();
  for (const block of list.split('\n\n')) {
    const path = /^worktree (.+)$/m.exec(block)?.[1];
    if (!path) continue;
    registered.add(path);
    if (/^prunable/m.test(block)) violations.push(`prunable worktree ${path}`);
  }
  const worktreesDir = worktreesDirOf(repo);
  if (existsSync(worktreesDir)) {
    for (const name of readdirSync(worktreesDir)) {
      if (name === '.gitignore' || name === '.orphaned' || name === '.prepared') continue; // conductor's own: not worktrees
      if (!registered.has(join(worktreesDir, name))) violations.push(`worktrees/${name} is not a registered worktree`);
      else if (name !== '_integration' && backlog?.tasks.find((t) => t.id === name)?.status === 'done') violations.push(`worktrees/${name} left behind for a done task`);
    }
  }
  for (const branch of tryGit('for-each-ref', '--format=%(refname:short)', 'refs/heads/task/').out.split('\n').filter(Boolean)) {
    const id = branch.slice('task/'.length);
    if (backlog?.tasks.find((t) => t.id === id)?.status === 'done') violations.push(`branch ${branch} left behind for a done task`);
  }

  // No agent or gate left running.
  for (const proc of markedProcesses(repo)) violations.push(`still running: ${proc}`);

  // The user's checkout is as it was.
  const after = snapshot(repo);
  if (after.head !== before.head) violations.push(`user HEAD moved: ${before.head.slice(0, 10)} -> ${after.head.slice(0, 10)}`);
  if (after.branch !== before.branch) violations.push(`user branch changed: ${before.branch} -> ${after.branch}`);
  if (after.status !== before.status) violations.push(`user status changed: ${JSON.stringify(before.status)} -> ${JSON.stringify(after.status)}`);
  const paths = new Set([...Object.keys(before.files), ...Object.keys(after.files)]);
  for (const path of paths) if (before.files[path] !== after.files[path]) violations.push(`user file changed: ${path}`);
  return violations;
}

/** The in-flight task states BACKLOG.yaml records right now (where a kill landed), e.g. ["T01 merging"]. */
export function statesInFlight(project: Project): string[] {
  const text = existsSync(join(project.repo, 'tasks', 'BACKLOG.yaml')) ? readFileSync(join(project.repo, 'tasks', 'BACKLOG.yaml'), 'utf8') : '';
  const report = text ? validateBacklogText(text, 'tasks/BACKLOG.yaml').backlog : undefined;
  if (!report) return [text ? 'backlog unreadable' : 'no backlog yet'];
  return report.tasks.filter((t) => !['pending', 'done', 'skipped'].includes(t.status)).map((t) => `${t.id} ${t.status}`);
}

export interface SeedResult {
  seed: number;
  kills: number;
  /** Per kill, the in-flight states it landed in ("T02 running"), or why there were none. */
  landed: string[][];
  /** What happened at each step, for a failing seed's report. */
  trace: string[];
  violations: string[];
}

/**
 * One seed: a first run killed after a seeded number of events (plus a seeded
 * delay of up to one average gap), for about a third of the seeds a resume
 * killed the same way, then resumes until one ends by itself.
 */
export async function runSeed(seed: number, fullEvents: number, gapMs: number): Promise<SeedResult> {
  const random = rng(seed);
  const project = makeProject(seed % 5 === 0 ? 'run' : 'implement');
  // A run: five planning and backlog sessions, the baseline gate, then worker, gate and reviewer for each of two tasks.
  if (project.mode === 'run') fullEvents = 5 + 1 + 2 * 3;
  const before = snapshot(project.repo);
  const trace: string[] = [`conductor ${project.mode}`];
  let kills = 0;
  const landed: string[][] = [];
  const killPoint = (events: number): KillPoint => ({ afterEvents: Math.floor(random() * (events + 1)), delayMs: Math.floor(random() * gapMs) });
  const plan = [killPoint(fullEvents)];
  if (random() < 0.35) plan.push(killPoint(Math.ceil(fullEvents / 2)));
  let last: Outcome | undefined;
  for (const kill of plan) {
    last = await runConductor(project, kill);
    const states = last.killed ? statesInFlight(project) : [];
    trace.push(`run killed at +${kill.afterEvents} events +${kill.delayMs} ms (${eventCount(project)} events so far): ${last.killed ? `killed with ${states.join(', ') || 'no task in flight'}` : `exited ${last.exitCode}`}`);
    if (last.killed) {
      kills++;
      landed.push(states);
    }
  }
  // Finish: resume until a run ends on its own (a run that was not killed always ends).
  last = await runConductor(project);
  trace.push(`final run: exited ${last.exitCode ?? last.signal}; ${last.stdout.split('\n')[0] ?? ''}`);
  const violations = await checkInvariants(project, before, last);
  if (violations.length === 0 || !process.env.CONDUCTOR_KILL_KEEP) rmSync(project.root, { recursive: true, force: true });
  else trace.push(`kept ${project.root}`);
  return { seed, kills, landed, trace, violations };
}
