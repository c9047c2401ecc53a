// conductor installed as a user installs a CLI (#18): the project packed once,
// the tarball installed into a temporary global prefix and into a temporary
// project as a devDependency; from a git URL (a local git+file:// clone) packed
// by npm and installed globally, and installed as a devDependency; each then
// runs `conductor --version` and `conductor demo`. Slow: real npm installs
// (from the npm cache when warm).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testdir } from './helpers/dirs.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const INSTALL_MS = 300_000;

/** A shell's environment, without what an enclosing `npm test` exports (npm_config_prefix and the like). */
const cleanEnv = (extra: Record<string, string> = {}) => ({ ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key))), ...extra });

async function npm(args: string[], cwd: string): Promise<string> {
  const result = await execa('npm', [...args, '--no-audit', '--no-fund'], { cwd, env: cleanEnv(), extendEnv: false, reject: false, stdin: 'ignore', timeout: INSTALL_MS });
  expect(result.exitCode, `npm ${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

/** `conductor --version` and `conductor demo` through `command` (argv before conductor's own arguments), in a fresh directory. */
async function runsDemo(command: string[], cwd = testdir()) {
  const run = (args: string[], env: Record<string, string> = {}) => execa(command[0]!, [...command.slice(1), ...args], { cwd, env: cleanEnv(env), extendEnv: false, reject: false, stdin: 'ignore', timeout: 180_000 });
  const version = await run(['--version']);
  expect([version.exitCode, version.stdout.trim()], version.stderr).toEqual([0, PKG.version]);
  const tmp = testdir();
  const demo = await run(['demo'], { TMPDIR: tmp });
  expect(demo.exitCode, `${demo.stdout}\n${demo.stderr}`).toBe(0);
  expect(demo.stdout).toContain('5 tasks: 5 done\nall merged into conductor/key-expiry');
  expect(/^ {2}repository: (.+)$/m.exec(demo.stdout)?.[1]?.startsWith(tmp)).toBe(true);
}

/** The committed tree, as a remote would serve it: a bare clone. */
function servedClone(): string {
  const clone = join(testdir(), 'conductor.git');
  execFileSync('git', ['clone', '--quiet', '--bare', ROOT, clone]);
  return clone;
}

interface Packed {
  filename: string;
  size: number;
  entryCount: number;
  files: { path: string }[];
}

let tarball: string;
let packed: Packed;

describe('installing conductor like a CLI', () => {
  const out = mkdtempSync(join(tmpdir(), 'conductor-pack-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  beforeAll(async () => {
    // dist/ as the suite's global setup built it: prepare would rebuild it under the other test files running the
    // CLI at the same time (the git-URL install below runs prepare). Its JSON is the output's last part.
    const stdout = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', out], ROOT);
    packed = (JSON.parse(stdout.slice(stdout.lastIndexOf('\n[') + 1)) as Packed[])[0]!;
    tarball = join(out, packed.filename);
    process.stdout.write(`package-install: ${packed.filename}: ${packed.size} bytes packed, ${packed.entryCount} files\n`);
  }, INSTALL_MS);

  it('the tarball holds what the CLI needs at run time and nothing else', () => {
    expect(packed.filename).toBe(`${PKG.name}-${PKG.version}.tgz`);
    const paths = packed.files.map((f) => f.path);
    const docs = ['README.md', 'BACKLOG_SCHEMA.md', 'CONFIG_SCHEMA.md', 'FACTORY_SCHEMA.md', 'factory.md', 'workflow.md', 'cli.md'].map((page) => `docs/${page}`); // docPath()'s pages
    const schemas = ['backlog', 'config', 'status', 'factory'].map((name) => `conductor/schemas/${name}.schema.json`);
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'conductor/bin/conductor.js', 'dist/cli/main.js', 'dist/validators/status.cjs', 'conductor/templates/feature-request.md', 'examples/demo/repo/package.json', ...docs, ...schemas]));
    expect(paths.filter((p) => p.startsWith('.opencode/agent/'))).toHaveLength(9);
    // Sources, tests, source maps, the docs generator, this repository's own state: none of it.
    const unwanted = paths.filter((p) => /^(conductor\/(src|test)|node_modules|tasks|specs|worktrees|examples\/rate-limiter|dist\/docs)\/|\.map$|\.ts$/.test(p));
    expect(unwanted).toEqual([]);
  });

  it('installs globally from the tarball: conductor --version and conductor demo work', async () => {
    const prefix = testdir();
    await npm(['install', '--global', '--prefix', prefix, tarball], testdir());
    await runsDemo([join(prefix, 'bin', 'conductor')]);
  }, INSTALL_MS + 200_000);

  it('installs as a devDependency of a project from the tarball: npx conductor --version and npx conductor demo work there', async () => {
    const project = testdir({ 'package.json': '{ "name": "some-project", "version": "1.0.0", "private": true }\n' });
    await npm(['install', '--save-dev', tarball], project);
    expect(JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).devDependencies).toHaveProperty(PKG.name);
    await runsDemo(['npx', '--no-install', 'conductor'], project);
  }, INSTALL_MS + 200_000);

  it('installs from a git URL as README says: npm pack git+<url> builds the tarball, npm install -g installs it', async () => {
    // Packing runs prepare in npm's clone with the devDependencies
    // installed there (not -g: a one-step `npm install -g git+<url>` lets npm's preparation install into the same
    // global directory the outer install is writing, npm/cli#8440, and fails now and then with ENOTEMPTY).
    const clone = servedClone();
    const where = testdir();
    const name = `${PKG.name}-${PKG.version}.tgz`;
    const stdout = await npm(['pack', `git+file://${clone}`], where);
    expect(stdout.trim().split('\n').at(-1)).toBe(name);
    const prefix = testdir();
    await npm(['install', '--global', '--prefix', prefix, join(where, name)], testdir());
    await runsDemo([join(prefix, 'bin', 'conductor')]);
  }, INSTALL_MS + 200_000);

  it('installs as a devDependency of a project from a git URL: npx conductor demo works there', async () => {
    const clone = servedClone();
    const project = testdir({ 'package.json': '{ "name": "some-project", "version": "1.0.0", "private": true }\n' });
    await npm(['install', '--save-dev', `git+file://${clone}`], project);
    expect(JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).devDependencies[PKG.name]).toBe(`git+file://${clone}`);
    await runsDemo(['npx', '--no-install', 'conductor'], project);
  }, INSTALL_MS + 200_000);

  it('prepare builds dist/ in a private copy when the build tools are missing (as in a one-step npm install -g from git)', async () => {
    const clone = join(testdir(), 'conductor');
    execFileSync('git', ['clone', '--quiet', ROOT, clone]);
    const result = await execa(process.execPath, ['scripts/prepare.js'], { cwd: clone, env: cleanEnv({ npm_config_global: 'true' }), extendEnv: false, reject: false, stdin: 'ignore', timeout: INSTALL_MS });
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stderr).toContain('conductor prepare: building in a private copy with the build\'s dependencies installed there (missing here: typescript, @types/node, ajv, handlebars)');
    expect(existsSync(join(clone, 'node_modules'))).toBe(false); // nothing installed into the clone itself
    expect(['cli/main.js', 'validators/status.cjs'].filter((file) => !existsSync(join(clone, 'dist', file)))).toEqual([]);
  }, INSTALL_MS);
});
