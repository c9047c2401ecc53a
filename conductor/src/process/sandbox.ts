// The optional bubblewrap sandbox (`sandbox: bwrap`): an agent sees the whole
// filesystem read-only except the directories it must write (its worktree and
// that worktree's git admin directory, its call directory with its private
// HOME), a private /tmp, and the network as it is (agents need their API).
// The sandboxed program stays in conductor's process group for the timeouts.
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { ConductorError } from '../errors.js';
import { probe } from './probe.js';
import { which } from '../util/which.js';

export type SandboxKind = 'none' | 'bwrap';

export interface SandboxSpec {
  kind: 'bwrap';
  /** Directories the agent may write; everything else is read-only. */
  writable: readonly string[];
  /** Directories shown read-only even when they lie under /tmp (which is private): the repository. */
  readable?: readonly string[];
}

/** The argument vector that runs `argv` inside the sandbox. */
export function sandboxArgv(argv: readonly string[], spec: SandboxSpec, bwrap = 'bwrap'): string[] {
  const shown = [...new Set([...commandRoots(argv), ...(spec.readable ?? [])])].flatMap((dir) => ['--ro-bind', dir, dir]);
  const binds = [...new Set(spec.writable)].flatMap((dir) => ['--bind', dir, dir]);
  return [bwrap, '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', ...shown, ...binds, '--die-with-parent', '--', ...argv];
}

/**
 * The private /tmp hides whatever lies under the real one, the agent program included when it was installed
 * there (a checkout or an npm cache in /tmp): the top directory under /tmp of each file the command names
 * stays visible, read-only.
 */
function commandRoots(argv: readonly string[]): string[] {
  const files = argv.filter((arg) => isAbsolute(arg));
  const first = argv[0];
  if (first !== undefined && !isAbsolute(first) && !first.includes('/')) {
    const found = which(first, process.env.PATH);
    if (found) files.push(found);
  }
  const roots = new Set<string>();
  for (const file of files) {
    for (const path of [file, realpathOrNothing(file)]) {
      if (path?.startsWith('/tmp/') && existsSync(path)) roots.add(path.split('/').slice(0, 3).join('/'));
    }
  }
  return [...roots];
}

function realpathOrNothing(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

export interface SandboxCheck {
  available: boolean;
  works: boolean;
  path?: string;
  version?: string;
  /** Why it does not work, in the words of bwrap. */
  error?: string;
}

export const BWRAP_HINT = 'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), or remove `sandbox: bwrap` from conductor.config.yaml';

/** Is bwrap installed, and can it build a sandbox here (user namespaces may be off in containers)? */
export async function checkSandbox(env: NodeJS.ProcessEnv = process.env): Promise<SandboxCheck> {
  const path = which('bwrap', env.PATH);
  if (!path) return { available: false, works: false, error: 'bwrap is not installed or not on PATH' };
  const version = (/\d+\.\d+(\.\d+)?/.exec((await probe([path, '--version'])).stdout) ?? [])[0];
  const trial = await probe(sandboxArgv(['true'], { kind: 'bwrap', writable: [] }, path));
  const error = trial.ok ? undefined : trial.stderr.trim().split('\n')[0] || `exit code ${trial.exitCode}`;
  return { available: true, works: trial.ok, path, ...(version ? { version } : {}), ...(error ? { error } : {}) };
}

/** The sandbox a run uses, and the line that tells the user which and why. */
export interface ResolvedSandbox {
  kind: SandboxKind;
  line: string;
}

/**
 * The sandbox the run will use, decided once before anything runs. `bwrap` this machine cannot build fails at
 * start (exit 2); `auto` takes bwrap where it works and says plainly when it falls back to none, with how to get
 * it. Under `auto`, CONDUCTOR_SANDBOX (none or bwrap) chooses instead of the machine.
 */
export async function resolveSandbox(configured: 'auto' | SandboxKind, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedSandbox> {
  const fromEnv = env.CONDUCTOR_SANDBOX?.trim() || 'auto';
  if (configured === 'auto' && fromEnv !== 'auto' && fromEnv !== 'none' && fromEnv !== 'bwrap') {
    throw new ConductorError('USAGE', `CONDUCTOR_SANDBOX=${fromEnv}: expected auto, none or bwrap`, { hint: 'unset it, or set one of those values' });
  }
  const [wanted, source] = configured === 'auto' && fromEnv !== 'auto' ? [fromEnv, 'CONDUCTOR_SANDBOX'] : [configured, 'conductor.config.yaml'];
  if (wanted === 'none') return { kind: 'none', line: `sandbox: none (${source}); agents can write outside their worktree, the boundary check undoes it` };
  const check = await checkSandbox(env);
  if (check.works) return { kind: 'bwrap', line: `sandbox: bwrap${check.version ? ` ${check.version}` : ''} (only each agent's own worktree is writable)` };
  if (wanted === 'bwrap') {
    throw new ConductorError('CONFIG_INVALID', `${source} asks for sandbox: bwrap, but bubblewrap cannot run here: ${check.error ?? 'unknown error'}`, { hint: BWRAP_HINT });
  }
  const how = check.available ? `bubblewrap cannot run here: ${check.error ?? 'unknown error'}` : 'bubblewrap is not installed; Debian/Ubuntu: apt-get install bubblewrap';
  return { kind: 'none', line: `sandbox: none (auto: ${how}); the boundary check still undoes writes outside the worktree` };
}
