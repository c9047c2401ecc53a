#!/usr/bin/env node
// Records the sessions `conductor demo` replays: runs the whole pipeline on a
// copy of examples/demo/repo with the stand-in author agent
// (scripts/demo/author-agent.mjs) and `--record examples/demo/sessions`.
// Run it after changing the demo project, the author agent, or anything that
// changes which agent calls a run makes; commit the sessions it writes.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sessions = join(root, 'examples', 'demo', 'sessions');
const work = mkdtempSync(join(tmpdir(), 'conductor-record-demo-'));
const repo = join(work, 'tiny-kv');
cpSync(join(root, 'examples', 'demo', 'repo'), repo, { recursive: true });
const git = (...args) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
git('init', '-q', '-b', 'main');
git('add', '-A');
git('-c', 'user.name=demo', '-c', 'user.email=demo@example.com', 'commit', '-qm', 'tiny-kv');

const config = join(work, 'record.config.yaml');
writeFileSync(config, `# The demo project's settings, with the stand-in author agent for every role.
provider: author
providers:
  author:
    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(join(root, 'scripts', 'demo', 'author-agent.mjs'))}]
gates:
  - { name: test, run: [node, --test] }
concurrency: 3
`);
rmSync(sessions, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [join(root, 'conductor', 'bin', 'conductor.js'), 'run', 'feature-request.md', '--yes', '--config', config, '--record', sessions], { cwd: repo, stdio: 'inherit' });
  process.stdout.write(`recorded into ${sessions}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
