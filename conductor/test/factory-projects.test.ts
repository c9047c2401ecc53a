// factory --projects: several repositories rebuilt from their specs at once,
// with one worker limit shared fairly between them, and bad input (a
// directory that is not a repository, a factory.yaml that breaks its schema)
// refused before anything runs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FACTORY_EXAMPLE } from '../src/docs/pages.js';
import { schemaErrors } from '../src/schema/validators.js';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { docPath } from '../src/paths.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const GATE = fileURLToPath(new URL('./fixtures/slot-gate.mjs', import.meta.url));
const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

/** A repository with one hand-written spec of `tasks` independent tasks, and a gate that holds each task's slot. */
function repoWithSpec(name: string, events: string, tasks: number, concurrency = 3) {
  const env = { SCRIPT_EDIT: 'src/{task}.ts=export const done = "{task}";' };
  const config = `provider: scripted\nconcurrency: ${concurrency}\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify(env)}\ngates:\n  - { name: test, run: [${JSON.stringify(process.execPath)}, ${JSON.stringify(GATE)}, ${name}, ${JSON.stringify(events)}] }\n`;
  const lines = Array.from({ length: tasks }, (_, i) => `T0${i + 1}`).map((id) => `  - { id: ${id}, title: Task ${id}, description: Write src/${id}.ts., acceptance: [it exists], scope: { files_hint: [src/${id}.ts] } }`);
  const repo = gitdir({ 'conductor.config.yaml': config, 'src/app.ts': 'export {};\n', '.gitignore': 'worktrees/\n.conductor/\n' });
  mkdirSync(join(repo, 'specs', 'feature'), { recursive: true });
  writeFileSync(join(repo, 'specs', 'feature', 'BACKLOG.yaml'), `version: 1\nfeature: feature\ntasks:\n${lines.join('\n')}\n`);
  return repo;
}

interface SlotEvent {
  project: string;
  dir: string;
  at: 'start' | 'end';
}

describe('factory --projects', () => {
  it('builds several repositories under one worker limit, shared fairly', async () => {
    const events = join(testdir(), 'slots.jsonl');
    writeFileSync(events, '');
    const root = testdir();
    // api has twice web's work: without fairness it would take every slot first.
    const api = repoWithSpec('api', events, 6);
    const web = repoWithSpec('web', events, 3);
    execFileSync('mv', [api, join(root, 'api')]);
    execFileSync('mv', [web, join(root, 'web')]);
    const result = await conductor(['factory', '--projects', 'api,web', '--concurrency', '2', '--onto', 'HEAD'], { cwd: root, timeoutMs: 120_000 });
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stderr.split('\n')[0]).toBe('factory: 2 projects (api, web), 2 workers at once between them');
    expect(result.stderr).toContain('[api] implement: T01 starts (new)');
    expect(result.stderr).toContain('[web] implement: T01 starts (new)');
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[api\] feature v1: built on factory\/feature-v1 \([0-9a-f]{12}, tree [0-9a-f]{12}\); first build of this spec$/);
    expect(lines[1]).toMatch(/^\[web\] feature v1: built on factory\/feature-v1 \([0-9a-f]{12}, tree [0-9a-f]{12}\); first build of this spec$/);
    expect(sh(join(root, 'api'), 'ls-tree', '--name-only', 'factory/feature-v1', 'src/').split('\n')).toEqual(['src/T01.ts', 'src/T02.ts', 'src/T03.ts', 'src/T04.ts', 'src/T05.ts', 'src/T06.ts', 'src/app.ts']);
    expect(sh(join(root, 'web'), 'ls-tree', '--name-only', 'factory/feature-v1', 'src/').split('\n')).toEqual(['src/T01.ts', 'src/T02.ts', 'src/T03.ts', 'src/app.ts']);

    // Replay the task gates (the baseline runs in the integration worktree): who held a slot when.
    const all = readFileSync(events, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SlotEvent);
    const taskEvents = all.filter((e) => !e.dir.startsWith('_'));
    expect(taskEvents).toHaveLength(2 * (6 + 3));
    const running = new Map<string, number>([['api', 0], ['web', 0]]);
    const started = new Map<string, number>([['api', 0], ['web', 0]]);
    const total = { api: 6, web: 3 } as Record<string, number>;
    let most = 0;
    const unfair: string[] = [];
    for (const event of taskEvents) {
      if (event.at === 'end') {
        running.set(event.project, running.get(event.project)! - 1);
        continue;
      }
      const other = event.project === 'api' ? 'web' : 'api';
      // A project takes a second slot only when the other one has no task left to start.
      if (running.get(event.project)! >= 1 && started.get(other)! < total[other]!) unfair.push(`${event.project} ${event.dir} started while ${other} still had work`);
      running.set(event.project, running.get(event.project)! + 1);
      started.set(event.project, started.get(event.project)! + 1);
      most = Math.max(most, running.get('api')! + running.get('web')!);
    }
    expect(unfair).toEqual([]);
    expect(most).toBe(2);
  });

  it('reads a factory.yaml, and refuses bad input before anything runs', async () => {
    const events = join(testdir(), 'slots.jsonl');
    const root = testdir();
    execFileSync('mv', [repoWithSpec('one', events, 1), join(root, 'one')]);
    mkdirSync(join(root, 'not-a-repo'));

    writeFileSync(join(root, 'factory.yaml'), 'concurrency: 2\nprojects:\n  - path: one\n    spec: [feature]\n');
    const typo = await conductor(['factory', '--projects', 'factory.yaml'], { cwd: root });
    expect([typo.exitCode, typo.stderr]).toEqual([2, `factory.yaml:4:5 error unknown-key: unknown key "spec" in "projects[0]" — did you mean "specs"?\nconductor: factory.yaml is not valid\nhint: see ${docPath('factory.md')}`]);

    writeFileSync(join(root, 'factory.yaml'), 'projects:\n  - one\n  - not-a-repo\n');
    const notRepo = await conductor(['factory', '--projects', 'factory.yaml'], { cwd: root });
    expect(notRepo.exitCode).toBe(2);
    expect(notRepo.stderr.split('\n')[0]).toBe('conductor: factory.yaml:3:5: project not-a-repo is not the top of a git repository');

    const missing = await conductor(['factory', '--projects', 'one,nope'], { cwd: root });
    expect([missing.exitCode, missing.stderr.split('\n')[0]]).toEqual([2, 'conductor: project nope: no such directory']);
    const twice = await conductor(['factory', '--projects', 'one,./one'], { cwd: root });
    expect([twice.exitCode, twice.stderr.split('\n')[0]]).toEqual([2, 'conductor: project ./one is listed twice (also as one)']);
    // An absolute path works too; this build is what --status reports below.
    const built = await conductor(['factory', '--projects', join(root, 'one'), '--onto', 'HEAD'], { cwd: root });
    expect(built.exitCode, built.stderr).toBe(0);

    writeFileSync(join(root, 'factory.yaml'), 'projects:\n  - { path: one, specs: [nope] }\n');
    const wrongSpec = await conductor(['factory', '--projects', 'factory.yaml'], { cwd: root });
    expect([wrongSpec.exitCode, wrongSpec.stderr]).toEqual([2, 'conductor: one: no spec nope under specs/\nhint: specs here: feature']);

    const status = await conductor(['factory', '--projects', 'one', '--status'], { cwd: root });
    expect(status.stdout).toMatch(/^\[one\] feature {2}v1 {2}built \(v1 → [0-9a-f]{12} on factory\/feature-v1\)$/);
    // Nothing was written in the directory that is not a project.
    expect(readdirSync(join(root, 'not-a-repo'))).toEqual([]);
  });
});

describe('factory.yaml', () => {
  it('accepts the documented example', () => {
    expect(schemaErrors('factory', parse(FACTORY_EXAMPLE))).toEqual([]);
    expect(schemaErrors('factory', { projects: [] }).map((e) => e.keyword)).toEqual(['minItems']);
  });
});
