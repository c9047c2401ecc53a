// Proof that the gates run the worktree's code (#16 point 2): the project's
// own packages, resolved from the worktree by a child process the way its
// tests will resolve them — Node's `require.resolve` for every workspace
// package, Python's import system for every import package — must land inside
// the worktree. Resolving to the user's checkout (a hoisted workspace link, an
// editable install's .pth) means the gates would judge the user's code.
import { realpath } from 'node:fs/promises';
import { sep } from 'node:path';
import { execa } from 'execa';

export interface Resolution {
  name: string;
  /** Where it resolved, or undefined when it did not. */
  path?: string;
  inside: boolean;
}

const NODE_SCRIPT = `
const { realpathSync } = require('node:fs');
const out = {};
for (const name of JSON.parse(process.argv[1])) {
  for (const request of [name + '/package.json', name]) {
    try { out[name] = realpathSync(require.resolve(request, { paths: [process.cwd()] })); break; } catch {}
  }
}
process.stdout.write(JSON.stringify(out));
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
export function checkNodeResolution(worktree: string, names: readonly string[], env?: NodeJS.ProcessEnv): Promise<Resolution[]> {
  return resolveWith(worktree, names, [process.execPath, '-e', NODE_SCRIPT, JSON.stringify(names)], env);
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
  const root = await realpath(worktree);
  return names.map((name) => {
    const path = found[name];
    return { name, ...(path ? { path } : {}), inside: path !== undefined && path.startsWith(`${root}${sep}`) };
  });
}
