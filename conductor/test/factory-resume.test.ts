// Issue #15: factory builds are runs too. A build stopped by Ctrl-C is taken
// up again by the next `conductor factory` (same tag, tasks keep their states)
// instead of starting a new tag.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { BIN, conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const REQUEST = '# Feature Request: Rate Limiter\n\n## User Story\nx\n## Problem Statement\nx\n## Requirements\n- x\n## Constraints\n- x\n## Success Criteria\n- [ ] x\n';
const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

function configText(log: string, extraEnv: Record<string, string> = {}): string {
  const env = { SCRIPT_LOG: log, SCRIPT_EDIT: 'src/{task}.ts=export const done = "{task} attempt {attempt}";', ...extraEnv };
  return `provider: scripted\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify(env)}\n`;
}

async function until(what: string, check: () => boolean, ms = 40_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a factory build stopped by Ctrl-C', () => {
  it('is resumed by the next conductor factory under the same tag, its merged tasks kept', async () => {
    const log = join(testdir(), 'prompts.jsonl');
    const repo = gitdir({ 'conductor.config.yaml': configText(log), 'feature-request.md': REQUEST, 'src/app.ts': 'export {};\n', '.gitignore': 'worktrees/\n.conductor/\n' });
    const first = await conductor(['run', 'feature-request.md', '--yes'], { cwd: repo });
    expect(first.exitCode, first.stderr).toBe(0);
    sh(repo, 'add', 'specs');
    sh(repo, '-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-qm', 'spec');

    // T02 (after T01) works slowly: the build is stopped while it runs, with T01 merged.
    writeFileSync(join(repo, 'conductor.config.yaml'), configText(log, { SCRIPT_RUN_T02: JSON.stringify([['sleep', '40']]) }));
    const build = execa(process.execPath, [BIN, 'factory', '--all'], { cwd: repo, reject: false, stdin: 'ignore', timeout: 60_000 });
    const records = join(repo, '.conductor', 'factory', 'rate-limiter-v1');
    await until('T02 to be at work', () => existsSync(join(records, 'T02.status.json')) && readFileSync(join(records, 'T02.status.json'), 'utf8').includes('"status": "running"'));
    build.kill('SIGINT');
    const stopped = await build;
    expect(stopped.exitCode).toBe(130);

    writeFileSync(join(repo, 'conductor.config.yaml'), configText(log));
    const implementersBefore = readFileSync(log, 'utf8').trim().split('\n').filter((l) => (JSON.parse(l) as { role: string }).role === 'implementer').length;
    const again = await conductor(['factory', '--all'], { cwd: repo });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toContain('factory: rate-limiter v1 resumes factory/rate-limiter-v1, which stopped before it finished; its tasks keep their states');
    expect(again.stdout).toMatch(/^rate-limiter v1: built on factory\/rate-limiter-v1 \(/);
    expect(sh(repo, 'branch', '--list', 'factory/*')).toBe('factory/rate-limiter-v1');
    // Only T02 ran again: T01 was merged before the stop.
    const implementers = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { role: string; prompt: string }).filter((e) => e.role === 'implementer');
    expect(implementers.slice(implementersBefore).map((e) => /T0\d/.exec(e.prompt)?.[0])).toEqual(['T02']);
    expect(JSON.parse(readFileSync(join(records, 'run.json'), 'utf8'))).toMatchObject({ state: 'finished' });
  }, 150_000);
});
