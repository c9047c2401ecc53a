#!/usr/bin/env node
// Installs the agent CLIs the real-CLI suite drives, from the npm registry,
// in two sets under .cache/agent-clis/ (git-ignored):
//   pinned  the lower end of each CLI's proven range (catalog.ts `proven.from`)
//   newest  the newest release on the registry right now (`npm view`)
// A set already installed at the wanted versions is left alone; when every
// newest release is the pinned one, the newest set is the pinned install.
// Prints one JSON object: {"sets":[{"name","versions":{cli:version},"bin"}, …]}.
// When the registry cannot be reached it exits 1 with npm's first error line:
// a suite that cannot install the CLIs has proven nothing and must say so.
//
//   node scripts/install-agent-clis.js            both sets
//   node scripts/install-agent-clis.js pinned     one set
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const cacheDir = join(root, '.cache', 'agent-clis');
const execFileAsync = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

async function loadCatalog() {
  const file = join(root, 'dist', 'agents', 'providers', 'catalog.js');
  if (!existsSync(file)) fail('dist/ is missing: run `npm run build` first (the pinned versions live in catalog.ts)');
  const { BUILTINS } = await import(pathToFileURL(file).href);
  return Object.entries(BUILTINS)
    .filter(([, info]) => info.npmPackage && info.proven)
    .map(([cli, info]) => ({ cli, pkg: info.npmPackage, pinned: info.proven.from }));
}

class InstallError extends Error {}

function fail(message) {
  throw new InstallError(message);
}

/** Run npm; on failure, fail with what npm said first (the line that names the cause). */
async function runNpm(args, doing) {
  try {
    const { stdout } = await execFileAsync(npm, args, { encoding: 'utf8', timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const said = `${error.stderr ?? ''}`.split('\n').map((line) => line.replace(/^npm (error|ERR!)\s*/, '').trim()).find((line) => line !== '' && !/^(code|errno|syscall)\b/.test(line));
    fail(`${doing} failed: ${said ?? error.message.split('\n')[0]}`);
  }
}

/** Asked of the registry itself: an empty cache, so npm cannot answer offline from what it saw before. */
async function newestVersions(clis) {
  const cache = mkdtempSync(join(tmpdir(), 'agent-clis-view-'));
  try {
    const asked = clis.map(async ({ cli, pkg }) => [cli, (await runNpm(['view', '--cache', cache, pkg, 'version'], `npm view ${pkg} version (is the npm registry reachable?)`)).trim()]);
    return Object.fromEntries(await Promise.all(asked));
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

/** One npm install at a time into .cache/agent-clis: two test files may ask at once. */
async function withLock(work) {
  const lock = join(cacheDir, '.lock');
  mkdirSync(cacheDir, { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 20 * 60_000) rmSync(lock, { recursive: true, force: true }); // left by a killed install
      else await sleep(1000);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function install(name, clis, versions) {
  const dir = join(cacheDir, name);
  const stamp = join(dir, 'installed.json');
  const wanted = JSON.stringify(versions);
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
    const specs = clis.map(({ cli, pkg }) => `${pkg}@${versions[cli]}`);
    await runNpm(['install', '--no-audit', '--no-fund', '--no-save', '--prefix', dir, ...specs], `npm install ${specs.join(' ')}`);
    writeFileSync(stamp, wanted);
  }
  return join(dir, 'node_modules', '.bin');
}

async function main(only) {
  if (only !== undefined && only !== 'pinned' && only !== 'newest') fail(`Expected the set to be \`pinned\` or \`newest\`, got \`${only}\``);
  const clis = await loadCatalog();
  const pinned = Object.fromEntries(clis.map(({ cli, pinned: version }) => [cli, version]));
  const newest = only === 'pinned' ? undefined : await newestVersions(clis);
  const sets = await withLock(async () => {
    const out = [];
    if (only !== 'newest') out.push({ name: 'pinned', versions: pinned, bin: await install('pinned', clis, pinned) });
    if (newest) {
      const same = clis.every(({ cli }) => newest[cli] === pinned[cli]);
      out.push({ name: 'newest', versions: newest, bin: await install(same ? 'pinned' : 'newest', clis, newest) });
    }
    return out;
  });
  process.stdout.write(`${JSON.stringify({ sets })}\n`);
}

try {
  await main(process.argv[2]);
} catch (error) {
  if (!(error instanceof InstallError)) throw error;
  process.stderr.write(`install-agent-clis: ${error.message}\n`);
  process.exitCode = 1;
}
