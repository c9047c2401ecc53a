#!/usr/bin/env node
// npm's `prepare`: build dist/ wherever conductor's sources are.
//
// - In a packed copy (the registry, a tarball) there are no sources and dist/ is shipped: nothing to do.
// - In a checkout after `npm install` / `npm ci`: the build tools are there; build.
// - When npm installs conductor from a git URL it runs `prepare` in a temporary clone, but the
//   clone may lack the devDependencies the build needs (npm/cli#8440: with `npm install -g`, the
//   nested install inherits npm_config_global and puts every package in the global prefix, so the
//   clone has no node_modules and `tsc` is "not found"). Then the clone's own dependencies are
//   installed first, from the lockfile, with that inherited global setting taken out.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// What the build loads: the compiler, the types tsc checks against, and what build-validators.js imports.
const BUILD_NEEDS = ['typescript/package.json', '@types/node/package.json', 'ajv/package.json', 'handlebars/package.json'];

function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    process.stderr.write(`conductor prepare: \`${[command, ...args].join(' ')}\` failed (exit ${result.status ?? result.signal})\n`);
    process.exit(result.status ?? 1);
  }
}

function missingBuildTools() {
  const require = createRequire(join(root, 'package.json'));
  return BUILD_NEEDS.filter((name) => {
    try {
      require.resolve(name);
      return false;
    } catch {
      return true;
    }
  });
}

if (!existsSync(join(root, 'conductor', 'src'))) process.exit(0);

const missing = missingBuildTools();
if (missing.length > 0) {
  process.stderr.write(`conductor prepare: installing the build's dependencies first (missing: ${missing.map((m) => m.replace(/\/package\.json$/, '')).join(', ')})\n`);
  // The install npm is running may be global (-g): this one is the clone's own, into its node_modules.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_config_(global|location|prefix|global_prefix|local_prefix)$/i.test(key)));
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
  const how = existsSync(join(root, 'package-lock.json')) ? 'ci' : 'install';
  run(npm[0], [...npm.slice(1), how, '--include=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--global=false'], env);
}
run(process.execPath, [createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
run(process.execPath, [join(root, 'scripts', 'build-validators.js')]);
