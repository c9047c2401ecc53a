#!/usr/bin/env node
// npm's `prepare`: build dist/ wherever conductor's sources are.
//
// - In a packed copy (the registry, a tarball) there are no sources and dist/ is shipped: nothing to do.
// - In a checkout after `npm install` / `npm ci`: the build tools are there; build.
// - When npm installs conductor from a git URL it runs `prepare` in a temporary clone, but the
//   clone may lack the devDependencies the build needs (npm/cli#8440: with `npm install -g`, the
//   nested install inherits npm_config_global, so the clone gets no node_modules and `tsc` is "not
//   found"; npm meanwhile installs into the global prefix, so the clone's node_modules is no place
//   to install into either). Then the build runs in a private copy of the sources, with the
//   dependencies the lockfile pins installed there, and only dist/ comes back.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// What the build loads: the compiler, the types tsc checks against, and what build-validators.js imports.
const BUILD_NEEDS = ['typescript/package.json', '@types/node/package.json', 'ajv/package.json', 'handlebars/package.json'];

// What the build reads.
const SOURCES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'conductor/src', 'conductor/schemas', 'conductor/templates', 'scripts/build-validators.js'];

class StepFailed extends Error {}

function run(cwd, command, args, env = process.env) {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', env });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new StepFailed(`\`${[command, ...args].join(' ')}\` failed (exit ${result.status ?? result.signal})`);
}

function missingBuildTools(dir) {
  const require = createRequire(join(dir, 'package.json'));
  return BUILD_NEEDS.filter((name) => {
    try {
      require.resolve(name);
      return false;
    } catch {
      return true;
    }
  });
}

function build(dir) {
  run(dir, process.execPath, [createRequire(join(dir, 'package.json')).resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
  run(dir, process.execPath, [join(dir, 'scripts', 'build-validators.js')]);
}

function prepare() {
  if (!existsSync(join(root, 'conductor', 'src'))) return; // a packed copy: dist/ is shipped
  const missing = missingBuildTools(root);
  if (missing.length === 0) {
    build(root);
  } else {
    process.stderr.write(`conductor prepare: building in a private copy with the build's dependencies installed there (missing here: ${missing.map((m) => m.replace(/\/package\.json$/, '')).join(', ')})\n`);
    const work = mkdtempSync(join(tmpdir(), 'conductor-build-'));
    try {
      for (const path of SOURCES) if (existsSync(join(root, path))) cpSync(join(root, path), join(work, path), { recursive: true });
      // The install npm is running may be global (-g): this one is the copy's own, into its node_modules.
      const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_config_(global|location|prefix|global_prefix|local_prefix)$/i.test(key)));
      const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
      const how = existsSync(join(work, 'package-lock.json')) ? 'ci' : 'install';
      run(work, npm[0], [...npm.slice(1), how, '--include=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--global=false'], env);
      build(work);
      rmSync(join(root, 'dist'), { recursive: true, force: true });
      cpSync(join(work, 'dist'), join(root, 'dist'), { recursive: true });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
}

try {
  prepare();
} catch (error) {
  process.stderr.write(`conductor prepare: ${error instanceof StepFailed ? error.message : error.stack}\n`);
  process.exitCode = 1;
}
