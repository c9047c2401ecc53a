// The whole pipeline through each real agent CLI — at its pinned release and
// at the newest one on the npm registry now — as a user runs it: the built
// `conductor run feature-request.md --yes` in a fresh git repository with a
// tiny project and a `node --test` gate, every call answered by the mock
// model server as the role it is (fixtures/mock-roles.mjs). Offline but for
// the install; a registry that cannot be reached fails the suite.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readLedger } from '../../src/agents/ledger.js';
import { validateBacklogText } from '../../src/backlog/validate-backlog.js';
import { pidsWithMarker } from '../../src/process/kill-group.js';
import { cliCases, installAgentClis, settingsFor } from '../helpers/agent-clis.js';
import { conductor } from '../helpers/cli.js';
import { gitdir, testdir } from '../helpers/dirs.js';
import { startMockModelServer, type MockModelServer, type MockTask } from '../fixtures/mock-model-server.mjs';

const installed = await installAgentClis();
const cases = cliCases(installed);

let server: MockModelServer;
beforeAll(async () => {
  server = await startMockModelServer();
});
afterAll(async () => {
  await server?.close();
});

const TASKS: MockTask[] = [
  { id: 'T01', title: 'Greeting', path: 'src/greet.js', content: "export const greet = (name) => `Hello, ${name}!`;\n" },
  { id: 'T02', title: 'Farewell', path: 'src/farewell.js', content: "export const farewell = (name) => `Goodbye, ${name}.`;\n" },
];

const REQUEST = `# Feature Request: Greetings

## User Story
As a user of tiny-sum I want greet and farewell helpers so that my scripts are polite.

## Problem Statement
The project only adds numbers.

## Requirements
- \`greet(name)\` in src/greet.js
- \`farewell(name)\` in src/farewell.js

## Constraints
- Risk level: low

## Success Criteria
- [ ] \`node --test\` passes
`;

function project(cli: string): string {
  const { settings, model } = settingsFor(cli, server.url);
  const config = {
    provider: cli,
    providers: { [cli]: { model, ...settings } },
    checkpoints: [],
    gates: [{ name: 'test', run: ['node', '--test'] }],
    concurrency: 2,
    attempts: 2,
    // Bounded, but generous for a slow CLI start on a loaded 2-core machine.
    timeouts: { inactivityMinutes: 3, hardMinutes: 6, gateMinutes: 2 },
  };
  return gitdir({
    '.gitignore': 'worktrees/\n.conductor/\n',
    'package.json': '{ "name": "tiny-sum", "type": "module", "private": true, "scripts": { "test": "node --test" } }\n',
    'README.md': '# tiny-sum\n\nAdds numbers.\n',
    'src/sum.js': 'export const sum = (a, b) => a + b;\n',
    'test/sum.test.js': "import test from 'node:test';\nimport assert from 'node:assert';\nimport { sum } from '../src/sum.js';\n\ntest('sum', () => assert.equal(sum(2, 3), 5));\n",
    'conductor.config.yaml': stringify(config),
    'feature-request.md': REQUEST,
  });
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

describe.each(cases.map((c) => [`${c.cli} ${c.version} (${c.sets})`, c] as const))('conductor run through real %s', (name, { cli, bin, installError }) => {
  it('plans, builds the backlog, implements, reviews and merges every task', async () => {
    if (installError) throw new Error(installError);
    server.scenario = { kind: 'pipeline', tasks: TASKS };
    const repo = project(cli);
    const started = Date.now();
    const result = await conductor(['run', 'feature-request.md', '--yes'], { cwd: repo, env: { PATH: `${bin}${delimiter}${process.env.PATH}`, HOME: testdir() }, timeoutMs: 9 * 60_000 });
    process.stderr.write(`[real-clis] conductor run through ${name}: exit ${result.exitCode} in ${Date.now() - started} ms\n`);
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);

    const backlog = validateBacklogText(readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8'), 'BACKLOG.yaml').backlog!;
    expect(backlog.tasks.map((t) => [t.id, t.status])).toEqual(TASKS.map((t) => [t.id, 'done']));

    const branch = `conductor/${backlog.feature}`;
    for (const task of TASKS) expect(git(repo, 'show', `${branch}:${task.path}`)).toBe(task.content.trim());
    // One merge per task, bringing exactly the file its worker wrote (nothing of the CLI's own).
    const merges = git(repo, 'log', '--merges', '--format=%H %s', branch).split('\n').map((line) => line.split(' '));
    expect(merges.map(([, ...subject]) => subject.join(' ')).sort()).toEqual(TASKS.map((t) => `Merge ${t.id}: ${t.title}`));
    const brought = merges.map(([sha, , id]) => [id!.replace(':', ''), git(repo, 'diff', '--name-only', `${sha}^1`, sha!)]);
    expect(brought.sort()).toEqual(TASKS.map((t) => [t.id, t.path]));

    // One ledger line per call, each with tokens: 3 planners, the merge, the backlog, a worker and a reviewer per task.
    const { entries, skipped } = await readLedger(join(repo, '.conductor'));
    expect(skipped).toEqual([]);
    expect(entries.map((e) => e.role).sort()).toEqual(['backlog', 'implementer', 'implementer', 'plan-merge', 'planner-arch', 'planner-qa', 'planner-spec', 'reviewer', 'reviewer']);
    for (const entry of entries) {
      expect(entry, entry.role).toMatchObject({ provider: cli, exit: 'ok' });
      expect(entry.inputTokens, entry.role).toBeGreaterThan(0);
      expect(entry.outputTokens, entry.role).toBeGreaterThan(0);
    }
    expect(new Set(entries.map((e) => e.sessionId)).size).toBe(entries.length);
    expect(entries.flatMap((e) => pidsWithMarker('CONDUCTOR_SESSION_ID', e.sessionId))).toEqual([]);
  }, 10 * 60_000);
});
