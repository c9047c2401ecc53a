// Proof that the gates run the worktree's code (#16 point 2): the project's
// own packages, resolved from the worktree the way its tests will resolve
// them — Node's `require.resolve` (in a worker thread) for every workspace
// package, Python's import system (a child process) for every import package — must land inside
// the worktree. Resolving to the user's checkout (a hoisted workspace link, an
// editable install's .pth) means the gates would judge the user's code.
import { realpath } from 'node:fs/promises';
import { sep } from 'node:path';
import { Worker } from 'node:worker_threads';
import { execa } from 'execa';

export interface Resolution {
  name: string;
  /** Where it resolved, or undefined when it did not. */
  path?: string;
  inside: boolean;
}

// Run in a worker thread of its own: Node's real resolution with fresh caches each time (a worktree's links may
// have changed since the last check), at a fraction of a child process's start-up.
const NODE_SCRIPT = `
const { realpathSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const out = {};
for (const name of workerData.names) {
  for (const request of [name + '/package.json', name]) {
    try { out[name] = realpathSync(require.resolve(request, { paths: [workerData.cwd] })); break; } catch {}
  }
}
parentPort.postMessage(out);
`;

const PYTHON_SCRIPT = `
import importlib.util, json, os, sys
out = {}
for name in json.loads(sys.argv[1]):
    try:
        spec = importlib.util.find_spec(name)
    except Exception:
        spec = None
    origin = spec and (spec.origin or (list(spec.submodule_search_locations or []) or [None])[0])
    if origin:
        out[name] = os.path.realpath(origin)
print(json.dumps(out))
`;

/** Resolve `names` from `worktree` with Node; each inside the worktree or not. */
export async function checkNodeResolution(worktree: string, names: readonly string[], env?: NodeJS.ProcessEnv): Promise<Resolution[]> {
  if (names.length === 0) return [];
  const found = await new Promise<Record<string, string>>((resolve) => {
    const worker = new Worker(NODE_SCRIPT, { eval: true, workerData: { names, cwd: worktree }, ...(env ? { env } : {}), stdout: true, stderr: true });
    worker.once('message', (out: Record<string, string>) => {
      resolve(out);
      void worker.terminate();
    });
    worker.once('error', () => resolve({})); // could not run: every name is unresolved
    worker.once('exit', () => resolve({}));
  });
  return judged(worktree, names, found);
}

/** Resolve the import packages `names` from `worktree` with `python`, in the environment the gates get. */
export function checkPythonResolution(worktree: string, names: readonly string[], python: string, env?: NodeJS.ProcessEnv): Promise<Resolution[]> {
  return resolveWith(worktree, names, [python, '-c', PYTHON_SCRIPT, JSON.stringify(names)], env);
}

async function resolveWith(worktree: string, names: readonly string[], argv: string[], env?: NodeJS.ProcessEnv): Promise<Resolution[]> {
  if (names.length === 0) return [];
  const result = await execa(argv[0]!, argv.slice(1), { cwd: worktree, reject: false, ...(env ? { env, extendEnv: false } : {}) });
  let found: Record<string, string> = {};
  try {
    found = JSON.parse(result.stdout) as Record<string, string>;
  } catch {
    // the program could not run: every name is unresolved
  }
  return judged(worktree, names, found);
}

async function judged(worktree: string, names: readonly string[], found: Record<string, string>): Promise<Resolution[]> {
  const root = await realpath(worktree);
  return names.map((name) => {
    const path = found[name];
    return { name, ...(path ? { path } : {}), inside: path !== undefined && path.startsWith(`${root}${sep}`) };
  });
}
