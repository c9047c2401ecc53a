#!/usr/bin/env node
// Installs the pinned agent CLIs the integration suite drives, from the npm
// registry, into .cache/agent-clis (git-ignored). Does nothing when the pinned
// versions are already there. Prints the bin directory on success.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PINNED = {
  '@anthropic-ai/claude-code': '2.1.197',
  '@openai/codex': '0.169.0',
  'opencode-ai': '1.18.33',
  '@google/gemini-cli': '0.61.0',
};

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, '.cache', 'agent-clis');
const stamp = join(dir, 'pinned.json');
const wanted = JSON.stringify(PINNED);

if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
  const specs = Object.entries(PINNED).map(([name, version]) => `${name}@${version}`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', dir, ...specs], { stdio: ['ignore', 'inherit', 'inherit'] });
  writeFileSync(stamp, wanted);
}
process.stdout.write(`${join(dir, 'node_modules', '.bin')}\n`);
