// A task's worktree made ready to run the project's checks (#16 points 1-2),
// on the host like the gates, with its own timeout and log: the configured
// untracked files copied in, then dependencies — `setup.command` when
// configured, else per the detected ecosystem: node_modules cloned from the
// user's checkout while the lockfile and manifests equal it, a real install
// when the task changed them. A fingerprint of what was prepared is kept in
// the worktree's git directory, so an unchanged worktree is not prepared
// twice. Before the gates, the resolution check proves the project's own
// packages resolve inside the worktree. A failure here is a setup error, never
// the worker's fault.
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join, resolve, sep } from 'node:path';
import type { SetupConfig } from '../config/types.js';
import { runGates, type GateOptions } from '../gates/run-gates.js';
import { gitDirs } from '../git/repo-state.js';
import { messageOf } from '../errors.js';
import { detectSetup, type SetupPlan } from './detect-setup.js';
import { cloneTree, dependencyFingerprint, nodeModulesDirs, ownPackageNames, relinkInto } from './node-modules.js';
import { checkNodeResolution, checkPythonResolution, type Resolution } from './resolution-check.js';
import { pythonLayout, pythonPathFor } from './python-paths.js';
import { fillSpareLater, takeSpare } from './spare-trees.js';
import type { SetupRecord } from '../state/status-file.js';

export type SetupMethod = 'none' | 'prepared' | 'clone' | 'install' | 'command';

export interface SetupOutcome {
  ok: boolean;
  method: SetupMethod;
  durationMs: number;
  /** The setup log: what ran, or what was cloned. */
  log?: string;
  /** Why it failed, in one line. */
  detail?: string;
  resolution: Resolution[];
  /** Variables the gates need to run the worktree's code (PYTHONPATH). */
  gateEnv?: Record<string, string>;
}

export interface PrepareOptions {
  worktree: string;
  userRoot: string;
  setup?: SetupConfig;
  /** False under the sandbox: node_modules is then never hard-linked to the user's files. */
  hardLinks?: boolean;
  /** Run the resolution check too (before the gates; not when the worktree is made for the worker). */
  check: boolean;
  /** How the setup commands run: the gates' options, the log directory included. */
  gates: Omit<GateOptions, 'cwd'>;
}

const MARKER = 'conductor-prepared';
const NODE_MODULES_MARKER = '.conductor-prepared';
const DEFAULT_TIMEOUT_SECONDS = 600;

export async function prepareWorktree(options: PrepareOptions): Promise<SetupOutcome> {
  const started = performance.now();
  const log = join(options.gates.logDir, 'setup.log');
  const done = (outcome: Omit<SetupOutcome, 'durationMs'>): SetupOutcome => ({ ...outcome, durationMs: Math.round(performance.now() - started) });
  try {
    await copyUntracked(options);
    const plan = detectSetup(options.worktree);
    const installed = await install(options, plan, log);
    if (!installed.ok) return done({ ok: false, method: installed.method, log, detail: installed.detail, resolution: [] });
    if (!options.check) return done({ ok: true, method: installed.method, ...(installed.logged ? { log } : {}), resolution: [] });
    const { resolution, gateEnv } = await resolutionOf(options.worktree, plan);
    const outside = resolution.filter((r) => !r.inside);
    const detail = outside.length ? `the project's own packages do not resolve inside the worktree: ${outside.map((r) => `${r.name} → ${r.path ?? 'not found'}`).join(', ')}` : undefined;
    if (detail) await appendLog(log, `resolution check failed: ${detail}\n`);
    return done({ ok: !detail, method: installed.method, ...(installed.logged || detail ? { log } : {}), ...(detail ? { detail } : {}), resolution, ...(gateEnv ? { gateEnv } : {}) });
  } catch (error) {
    await appendLog(log, `setup failed: ${messageOf(error)}\n`).catch(() => undefined);
    return done({ ok: false, method: 'none', log, detail: messageOf(error).split('\n')[0] ?? 'setup failed', resolution: [] });
  }
}

/** `setup.copy`: untracked files of the user's checkout (`.env`) the worktree needs, copied when it lacks them. */
async function copyUntracked({ worktree, userRoot, setup }: PrepareOptions): Promise<void> {
  for (const file of setup?.copy ?? []) {
    if (existsSync(join(userRoot, file)) && !existsSync(join(worktree, file))) await cp(join(userRoot, file), join(worktree, file), { recursive: true });
  }
}

async function install(options: PrepareOptions, plan: SetupPlan | undefined, log: string): Promise<{ ok: boolean; method: SetupMethod; detail?: string; logged?: boolean }> {
  const { worktree, userRoot, setup } = options;
  const steps = setup?.command ? [setup.command] : (plan?.install ?? []);
  if (!setup?.command && !plan) return { ok: true, method: 'none' };
  const fingerprint = await fingerprintOf(worktree, plan, setup);
  // A configured command may prepare anything: its marker stays in the git directory.
  const inNodeModules = !setup?.command && plan?.nodeModules === true;
  if ((await readMarker(worktree, inNodeModules)) === fingerprint) return { ok: true, method: 'prepared' };
  let fillAfter: (() => void) | undefined;

  let method: SetupMethod = setup?.command ? 'command' : 'install';
  if (!setup?.command && plan?.nodeModules && plan.lockfile && fingerprint === (await dependencyFingerprint(userRoot, plan.lockfile))) {
    const trees = await nodeModulesDirs(userRoot);
    if (trees.length > 0) {
      const lines: string[] = [];
      const hardLinks = options.hardLinks !== false;
      // A spare clone made ahead, beside the worktrees (not where runs before #16 kept them, inside the checkout).
      const spares = !isInside(resolve(worktree), resolve(userRoot));
      for (const tree of trees) await rm(join(worktree, tree), { recursive: true, force: true });
      const taken = spares ? await takeSpare(worktree, fingerprint, hardLinks, trees) : undefined;
      for (const tree of trees) {
        const how = taken?.how ?? (await cloneTree(join(userRoot, tree), join(worktree, tree), hardLinks));
        const relinked = await relinkInto(join(worktree, tree), userRoot, worktree);
        lines.push(`${tree}: cloned from ${join(userRoot, tree)} (${how}${taken ? ', prepared ahead' : ''})${relinked ? `, ${relinked} absolute link${relinked === 1 ? '' : 's'} pointed into the worktree` : ''}`);
      }
      // For the next worktree, started once this one is ready: the fill's processes and file work would delay it.
      if (spares) fillAfter = () => fillSpareLater(userRoot, worktree, fingerprint, hardLinks, trees);
      await appendLog(log, `${lines.join('\n')}\n`);
      steps.length = 0;
      method = 'clone';
    }
  }
  const timeoutMinutes = (setup?.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) / 60;
  for (const [i, run] of steps.entries()) {
    const [result] = await runGates([{ name: i === 0 ? 'setup' : `setup-${i + 1}`, run, timeoutMinutes }], { ...options.gates, cwd: worktree });
    if (!result?.passed) {
      return { ok: false, method, detail: `${run.join(' ')} failed${result?.note ? ` (${result.note})` : result?.exitCode != null ? ` with exit code ${result.exitCode}` : ''}; log: ${result?.log ?? log}`, logged: true };
    }
    if (result.log !== log) await appendLog(log, `${run.join(' ')}: ok (its output: ${result.log})\n`);
  }
  await writeMarker(worktree, inNodeModules, fingerprint);
  fillAfter?.();
  return { ok: true, method, logged: true };
}

/** What was prepared: the configured command and the dependency files it answers to. */
async function fingerprintOf(worktree: string, plan: SetupPlan | undefined, setup: SetupConfig | undefined): Promise<string> {
  const deps = plan?.nodeModules && plan.lockfile ? await dependencyFingerprint(worktree, plan.lockfile) : plan?.lockfile && existsSync(join(worktree, plan.lockfile)) ? createHash('sha256').update(await readFile(join(worktree, plan.lockfile))).digest('hex') : '';
  if (!setup?.command) return deps;
  return createHash('sha256').update(JSON.stringify(setup.command)).update(deps).digest('hex');
}

/**
 * The marker of what was prepared. For node_modules it lives inside the worktree's node_modules: no git call to
 * find it, and a worker that deletes node_modules deletes the marker with it. Otherwise it lives in the worktree's
 * own git directory (asked of git: no .git file is read by hand).
 */
async function markerPath(worktree: string, inNodeModules: boolean): Promise<string | undefined> {
  if (inNodeModules) {
    const nodeModules = join(worktree, 'node_modules');
    if (existsSync(nodeModules)) return join(nodeModules, NODE_MODULES_MARKER);
  }
  const dir = await gitDirs(worktree).then((dirs) => dirs.gitDir, () => undefined);
  return dir ? join(dir, MARKER) : undefined;
}

async function readMarker(worktree: string, inNodeModules: boolean): Promise<string> {
  // A worktree without node_modules has nothing prepared for a Node project: no marker to look for.
  if (inNodeModules && !existsSync(join(worktree, 'node_modules'))) return '';
  const marker = await markerPath(worktree, inNodeModules);
  return marker ? readFile(marker, 'utf8').catch(() => '') : '';
}

async function writeMarker(worktree: string, inNodeModules: boolean, fingerprint: string): Promise<void> {
  const marker = await markerPath(worktree, inNodeModules);
  if (!marker) return;
  await rm(marker, { force: true }); // a new file: never written through a hard link into the user's node_modules
  await writeFile(marker, fingerprint);
}

async function resolutionOf(worktree: string, plan: SetupPlan | undefined): Promise<{ resolution: Resolution[]; gateEnv?: Record<string, string> }> {
  if (existsSync(join(worktree, 'package.json'))) return { resolution: await checkNodeResolution(worktree, await ownPackageNames(worktree)) };
  if (plan && ['pip', 'uv', 'poetry'].includes(plan.ecosystem)) {
    const layout = await pythonLayout(worktree);
    if (layout.packages.length === 0) return { resolution: [] };
    const gateEnv = { PYTHONPATH: pythonPathFor(worktree, layout, process.env.PYTHONPATH) };
    const venv = join(worktree, '.venv', 'bin', 'python');
    const python = existsSync(venv) ? venv : 'python3';
    return { resolution: await checkPythonResolution(worktree, layout.packages, python, { ...process.env, ...gateEnv }), gateEnv };
  }
  return { resolution: [] };
}

const isInside = (path: string, dir: string) => path === dir || path.startsWith(`${dir}${sep}`);

async function appendLog(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text, { flag: 'a' });
}

/** The outcome as the status file records it (without the gates' environment). */
export function setupRecord(setup: SetupOutcome): SetupRecord {
  const { ok, method, durationMs, log, detail, resolution } = setup;
  return { ok, method, durationMs, ...(log ? { log } : {}), ...(detail ? { detail } : {}), ...(resolution.length ? { resolution } : {}) };
}
